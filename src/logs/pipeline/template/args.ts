import { TemplateExecError } from "./errors.js";
import { GoTime } from "./go-time.js";
import { typeName, type Value } from "./value.js";

/** A template function: takes evaluated arguments, returns a value or throws {@link TemplateExecError}. */
export type TemplateFunc = (args: readonly Value[]) => Value;

/** Checks a fixed argument count, with Go's message. */
export function arity(name: string, args: readonly Value[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateExecError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
  }
}

/** A Go `string` parameter: only a string is accepted. */
export function str(name: string, v: Value): string {
  if (typeof v !== "string")
    throw new TemplateExecError(
      `error calling ${name}: wrong type for value; expected string; got ${typeName(v)}`,
    );
  return v;
}

/** A Go `int` parameter: an integer, or a float constant with an integral value. */
export function int(name: string, v: Value): number {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw new TemplateExecError(
    `error calling ${name}: wrong type for value; expected int; got ${typeName(v)}`,
  );
}

/** A Go `time.Time` parameter. */
export function time(name: string, v: Value): GoTime {
  if (v instanceof GoTime) return v;
  throw new TemplateExecError(
    `error calling ${name}: wrong type for value; expected time.Time; got ${typeName(v)}`,
  );
}

/** `strconv.ParseInt(s, 0, 64)` after trimming a `.0…` decimal tail, as spf13/cast; undefined if invalid. */
function parseIntLoose(s: string): bigint | undefined {
  let t = s;
  const dot = /^([+-]?[0-9]+)\.0*$/.exec(t);
  if (dot !== null) t = dot[1]!;
  const neg = t.startsWith("-");
  const body = t.replace(/^[+-]/, "").replaceAll("_", "");
  let n: bigint;
  try {
    if (/^0[xX][0-9a-fA-F]+$|^0[bB][01]+$|^0[oO][0-7]+$/.test(body)) n = BigInt(body);
    else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
    else if (/^[0-9]+$/.test(body)) n = BigInt(body);
    else return undefined;
  } catch {
    return undefined;
  }
  if (neg) n = -n;
  return n === BigInt.asIntN(64, n) ? n : undefined;
}

/** Sprig's `toInt64` (spf13/cast): numbers truncate, strings parse, anything else is 0. */
export function toInt64(v: Value): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "string") return parseIntLoose(v) ?? 0n;
  return 0n;
}

/** Sprig's `toFloat64` (spf13/cast): strings parse as Go floats, anything else is 0. */
export function toFloat64(v: Value): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.replaceAll("_", "");
    if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) return Number(t);
    if (/^[+-]?(inf|infinity)$/i.test(t))
      return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/^nan$/i.test(t)) return Number.NaN;
    return 0;
  }
  return 0;
}

/** Wraps an int64 result the way Go's arithmetic does. */
export function wrap64(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}

/** Longest string, in UTF-16 units, a function may build; more is a {@link TemplateExecError}. */
export const MAX_STRING = 1 << 22;

/** Throws when a function's intermediate result `length` passes {@link MAX_STRING}. */
export function checkLength(name: string, length: number): void {
  if (length > MAX_STRING)
    throw new TemplateExecError(`error calling ${name}: result longer than ${MAX_STRING} characters`);
}
