/**
 * The explicit context every I/O function takes first: who is asking (tenants), when to give up
 * (abort signal, deadline). There is no global tenant.
 */
export interface Ctx {
  /** The tenants the operation acts on; at least one. Writes use exactly one. */
  readonly tenants: readonly string[];
  /** Aborted when the caller goes away or the deadline passes. */
  readonly signal: AbortSignal;
  /** Unix milliseconds after which the operation should stop, if any. */
  readonly deadline?: number;
}

/** A context for `tenants`, optionally bounded by `timeoutMs` and chained to a parent signal. */
export function newCtx(
  tenants: readonly string[],
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Ctx {
  if (tenants.length === 0) throw new Error("newCtx: a context needs at least one tenant");
  const signals: AbortSignal[] = [];
  if (opts.signal) signals.push(opts.signal);
  let deadline: number | undefined;
  if (opts.timeoutMs !== undefined) {
    signals.push(AbortSignal.timeout(opts.timeoutMs));
    deadline = Date.now() + opts.timeoutMs;
  }
  const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
  return deadline === undefined ? { tenants, signal } : { tenants, signal, deadline };
}
