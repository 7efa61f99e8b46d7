/**
 * What the OTLP/JSON decoders (`metrics-json.ts`, `logs-json.ts`) share: readers of JSON values with
 * the protobuf JSON mapping's rules as OTLP writes them (opentelemetry-proto `docs/specification.md`,
 * "JSON Protobuf Encoding"), and the messages of `common/v1/common.proto` (`KeyValue`, `AnyValue`).
 *
 * Every reader takes the path of the value in the document (`resourceLogs[0].scopeLogs[1]`), treats
 * `undefined` and `null` as "not set", and throws {@link OtlpJsonError} naming that path when the value
 * is of the wrong type or out of range. Each decoder turns that error into its own with
 * {@link readDocument}, so the readers know nothing of who calls them.
 */
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import type { AnyValue, KeyValue } from "./types.js";

/** A JSON object as `JSON.parse` returns it. */
export type JsonObject = Record<string, unknown>;

/** A value at `path` that the protobuf JSON mapping does not allow there. */
export class OtlpJsonError extends Error {
  override readonly name: string = "OtlpJsonError";

  /** `path` is where the value stands in the document; `detail` says what is wrong with it. */
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/**
 * Reads a parsed document with `read`, given its root object (empty when the document is `null`). An
 * {@link OtlpJsonError} thrown while reading is thrown again as what `malformed` makes of it.
 */
export function readDocument<T>(
  doc: unknown,
  read: (root: JsonObject) => T,
  malformed: (err: OtlpJsonError) => Error,
): T {
  try {
    return read(object(doc, "$") ?? {});
  } catch (err: unknown) {
    if (err instanceof OtlpJsonError) throw malformed(err);
    throw err;
  }
}

/** Throws an {@link OtlpJsonError} for the value at `path`. */
export function fail(path: string, detail: string): never {
  throw new OtlpJsonError(path, detail);
}

/** `KeyValue`s of a repeated `attributes` field; `depth` is the nesting of the message holding them. */
export function attributes(v: unknown, path: string, depth: number): KeyValue[] {
  return array(v, path).map((kv, i) => keyValue(kv, `${path}[${i}]`, depth));
}

function keyValue(v: unknown, path: string, depth: number): KeyValue {
  const o = object(v, path) ?? {};
  return { key: string(o.key, `${path}.key`), value: anyValue(o.value, `${path}.value`, depth + 1) };
}

const VALUE_KEYS = [
  "stringValue",
  "boolValue",
  "intValue",
  "doubleValue",
  "arrayValue",
  "kvlistValue",
  "bytesValue",
] as const;

/**
 * An `AnyValue` at nesting `depth` (1 for an attribute's or a log body's own value); deeper than
 * {@link MAX_ANY_VALUE_DEPTH} is an error. Unset, or an object with no member set, is `empty`.
 */
export function anyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) fail(path, `attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const o = object(v, path);
  if (o === undefined) return { kind: "empty" };
  const key = oneOf(o, VALUE_KEYS, path);
  const p = `${path}.${key}`;
  switch (key) {
    case "stringValue":
      return { kind: "string", value: string(o.stringValue, p) };
    case "boolValue":
      return { kind: "bool", value: bool(o.boolValue, p) };
    case "intValue":
      return { kind: "int", value: integer(o.intValue, p, INT64_MIN, INT64_MAX) };
    case "doubleValue":
      return { kind: "double", value: double(o.doubleValue, p) };
    case "bytesValue":
      return { kind: "bytes", value: bytes(o.bytesValue, p) };
    case "arrayValue": {
      const list = object(o.arrayValue, p) ?? {};
      const values = array(list.values, `${p}.values`).map((x, i) =>
        anyValue(x, `${p}.values[${i}]`, depth + 1),
      );
      return { kind: "array", values };
    }
    case "kvlistValue": {
      const list = object(o.kvlistValue, p) ?? {};
      return { kind: "kvlist", values: attributes(list.values, `${p}.values`, depth) };
    }
    case undefined:
      return { kind: "empty" };
  }
}

/** Which of `keys` is set (not null) in `o`; two or more is an error, as in protobuf JSON. */
export function oneOf<K extends string>(o: JsonObject, keys: readonly K[], path: string): K | undefined {
  let found: K | undefined;
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (found !== undefined) fail(path, `both ${found} and ${k} are set, but they are one oneof`);
    found = k;
  }
  return found;
}

/** A message: a JSON object, or `undefined` when not set. */
export function object(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(path, "expected an object");
  return v as JsonObject;
}

/** A repeated field: a JSON array; unset is empty. */
export function array(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, "expected an array");
  return v;
}

/** A `string`; unset is `""`. */
export function string(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") fail(path, "expected a string");
  return v;
}

/** A `bool`; unset is false. */
export function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") fail(path, "expected true or false");
  return v;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A double: a JSON number, or a string holding a number, `NaN`, `Infinity` or `-Infinity`. Unset is 0. */
export function double(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (DECIMAL.test(v)) return Number(v);
  }
  return fail(path, "expected a number");
}

/** The smallest `int32`. */
export const INT32_MIN = -(2n ** 31n);
/** The largest `int32`. */
export const INT32_MAX = 2n ** 31n - 1n;
/** The smallest `int64`. */
export const INT64_MIN = -(2n ** 63n);
/** The largest `int64`. */
export const INT64_MAX = 2n ** 63n - 1n;
/** The largest `uint32`. */
export const UINT32_MAX = 2n ** 32n - 1n;
/** The largest `uint64`. */
export const UINT64_MAX = 2n ** 64n - 1n;

// Thirty digits are more than any 64-bit integer has; a longer string is refused before `BigInt` reads it.
const INTEGER = /^-?\d{1,30}$/;

/**
 * An integer in `[min, max]`: a JSON number without a fraction, or a decimal string of at most 30
 * digits. Unset is 0.
 */
export function integer(v: unknown, path: string, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (v === undefined || v === null) return 0n;
  if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && INTEGER.test(v)) b = BigInt(v);
  else return fail(path, "expected an integer (a decimal string or a number)");
  if (b < min || b > max) fail(path, `${b} is out of range [${min}, ${max}]`);
  return b;
}

/** A `uint32` (or `fixed32`) as a number. Unset is 0. */
export function uint32(v: unknown, path: string): number {
  if (typeof v === "number" && v >>> 0 === v) return v; // the common case, without a bigint
  return Number(integer(v, path, 0n, UINT32_MAX));
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** `bytes`: base64, standard or URL-safe, padded or not (protobuf JSON accepts all four). Unset is empty. */
export function bytes(v: unknown, path: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v !== "string" || !BASE64.test(v) || v.replace(/=+$/, "").length % 4 === 1) {
    fail(path, "expected base64 text");
  }
  return new Uint8Array(Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}
