/** The bit pattern of Prometheus's stale marker, a NaN that says "this series ended here". */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The stale-marker NaN value. Arithmetic on it may yield an ordinary NaN; store it as given. */
export const STALE_NAN: number = (() => {
  u64[0] = STALE_NAN_BITS;
  return f64[0]!;
})();

/** Whether `v` is exactly the stale marker (not just any NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  f64[0] = v;
  return u64[0] === STALE_NAN_BITS;
}
