import type { GoTime } from "./go-time.js";

/**
 * A value inside the template engine. Go's types map as: `string` → string, `int`/`int64` →
 * bigint (kept in int64 range), `float64` → number, `bool` → boolean, `nil`/missing → undefined,
 * `time.Time` → {@link GoTime}, slices → arrays, `map[string]…` → Map (from `fromJson`) or
 * {@link LabelMap} (the template's data).
 */
export type Value =
  | string
  | bigint
  | number
  | boolean
  | undefined
  | GoTime
  | LabelMap
  | readonly Value[]
  | ReadonlyMap<string, Value>;

/** The template's dot: label values by name; a missing label reads as "", as a Go `map[string]string`. */
export class LabelMap {
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  /** The value of `name`, or "" when absent. */
  get(name: string): string {
    return Object.hasOwn(this.labels, name) ? this.labels[name]! : "";
  }
}

/** Go's name for the dynamic type of `v`, for error messages (`%!d(string=x)`). */
export function typeName(v: Value): string {
  if (v === undefined) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float64";
  if (typeof v === "boolean") return "bool";
  if (v instanceof LabelMap) return "map[string]string";
  if (v instanceof Map) return "map[string]interface {}";
  if (Array.isArray(v)) return "[]interface {}";
  return "time.Time";
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: Value): boolean {
  if (v === undefined) return false;
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "boolean") return v;
  if (v instanceof LabelMap) return Object.keys(v.labels).length > 0;
  if (v instanceof Map) return v.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** `strconv.FormatFloat(f, 'g', -1, 64)` with `%v`'s exponent threshold: `1e+06`, `0.0001`, `1.5`. */
export function formatFloatV(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mant, expText] = f.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(f);
}

/** How `{{ x }}` and `%v` print a value, as Go's fmt does. */
export function printValue(v: Value): string {
  if (v === undefined) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (typeof v === "number") return formatFloatV(v);
  if (Array.isArray(v)) return `[${v.map((x) => printElem(x)).join(" ")}]`;
  if (v instanceof LabelMap) {
    const keys = Object.keys(v.labels).sort();
    return `map[${keys.map((k) => `${k}:${v.labels[k]}`).join(" ")}]`;
  }
  if (v instanceof Map) {
    const keys = [...v.keys()].sort();
    return `map[${keys.map((k) => `${k}:${printElem(v.get(k))}`).join(" ")}]`;
  }
  return (v as GoTime).toString();
}

function printElem(v: Value): string {
  return v === undefined ? "<nil>" : printValue(v);
}
