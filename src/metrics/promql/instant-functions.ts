/**
 * Functions applied to each sample of an instant vector independently. A kernel gets the sample
 * value and up to two scalar arguments of the step, and returns the new value, or undefined to
 * drop the sample. All of them drop the metric name.
 */
export type ElementKernel = (v: number, a: number, b: number) => number | undefined;

/** Calendar fields of a Unix time in seconds, in UTC (NaN for a non-finite time). */
function dateField(field: (d: Date) => number): ElementKernel {
  return (v) => {
    if (!Number.isFinite(v)) return Number.NaN;
    return field(new Date(Math.trunc(v) * 1000));
  };
}

function dayOfYear(d: Date): number {
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return (day - startOfYear) / 86_400_000 + 1;
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

/** The calendar functions, which default to `vector(time())` when called without an argument. */
export const DATE_FUNCTIONS: ReadonlyMap<string, ElementKernel> = new Map([
  ["minute", dateField((d) => d.getUTCMinutes())],
  ["hour", dateField((d) => d.getUTCHours())],
  ["day_of_week", dateField((d) => d.getUTCDay())],
  ["day_of_month", dateField((d) => d.getUTCDate())],
  ["day_of_year", dateField(dayOfYear)],
  ["days_in_month", dateField(daysInMonth)],
  ["month", dateField((d) => d.getUTCMonth() + 1)],
  ["year", dateField((d) => d.getUTCFullYear())],
]);

/** Elementwise math functions by name, with their default for a missing first scalar argument. */
export const ELEMENTWISE: ReadonlyMap<string, ElementKernel> = new Map<string, ElementKernel>([
  ["abs", Math.abs],
  ["ceil", Math.ceil],
  ["floor", Math.floor],
  ["exp", Math.exp],
  ["sqrt", Math.sqrt],
  ["ln", Math.log],
  ["log2", Math.log2],
  ["log10", Math.log10],
  ["sgn", (v) => (v < 0 ? -1 : v > 0 ? 1 : v)],
  ["sin", Math.sin],
  ["cos", Math.cos],
  ["tan", Math.tan],
  ["asin", Math.asin],
  ["acos", Math.acos],
  ["atan", Math.atan],
  ["sinh", Math.sinh],
  ["cosh", Math.cosh],
  ["tanh", Math.tanh],
  ["asinh", Math.asinh],
  ["acosh", Math.acosh],
  ["atanh", Math.atanh],
  ["deg", (v) => (v * 180) / Math.PI],
  ["rad", (v) => (v * Math.PI) / 180],
  [
    "round",
    (v, toNearest) => {
      const inverse = 1 / toNearest;
      return Math.floor(v * inverse + 0.5) / inverse;
    },
  ],
  ["clamp", (v, min, max) => (max < min ? undefined : Math.max(min, Math.min(max, v)))],
  ["clamp_min", (v, min) => Math.max(v, min)],
  ["clamp_max", (v, max) => Math.min(v, max)],
  ...DATE_FUNCTIONS,
]);

/** Defaults for optional scalar arguments (`round`'s `to_nearest`). */
export const DEFAULT_SCALAR_ARGS: ReadonlyMap<string, readonly number[]> = new Map([["round", [1]]]);
