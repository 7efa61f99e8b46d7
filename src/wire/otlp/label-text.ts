/**
 * Label values made from OTLP values, byte for byte as Prometheus's OTLP receiver (Go) makes them:
 * attribute values as the collector's `pcommon.Value.AsString`, and bucket bounds and quantiles as
 * `strconv.FormatFloat(v, 'f', -1, 64)`.
 */
import type { AnyValue, KeyValue } from "./types.js";

/**
 * A float in plain decimal notation with the fewest digits that read back to the same double, never
 * with an exponent (Go's `FormatFloat(v, 'f', -1, 64)`): `0.005`, `1000000000000000000000`, `+Inf`,
 * `-Inf`, `NaN`, `-0`. Used for the `le` and `quantile` labels.
 */
export function formatFloatLabel(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  // toExponential() without an argument gives the shortest round-tripping digits: "-d.ddde±x".
  const s = v.toExponential();
  const negative = s.charCodeAt(0) === 45;
  const e = s.indexOf("e");
  const digits = s.slice(negative ? 1 : 0, e).replace(".", "");
  const exp = Number(s.slice(e + 1));
  let out: string;
  if (exp < 0) out = `0.${"0".repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) out = digits + "0".repeat(exp + 1 - digits.length);
  else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return negative ? `-${out}` : out;
}

/**
 * The text of an attribute value, as `pcommon.Value.AsString` gives it: strings as they are, booleans
 * as `true`/`false`, integers in decimal, doubles as JavaScript (and Go's JSON encoder) print them,
 * bytes in standard base64, arrays and key-value lists as Go's `encoding/json` encodes them (keys
 * sorted, `<>&` escaped), an unset value as `""`. Go's quirks are kept: a non-finite double reads
 * `json: unsupported value: NaN`, and an array or list holding one reads `""`.
 */
export function anyValueText(v: AnyValue): string {
  switch (v.kind) {
    case "string":
      return v.value;
    case "bool":
      return v.value ? "true" : "false";
    case "int":
      return v.value.toString();
    case "double":
      return Number.isFinite(v.value)
        ? goJsonFloat(v.value)
        : `json: unsupported value: ${formatFloatLabel(v.value)}`;
    case "bytes":
      return base64(v.value);
    case "array":
    case "kvlist":
      return goJson(v) ?? "";
    case "empty":
      return "";
  }
}

/** A finite double as Go's `encoding/json` writes it, which matches JavaScript except for `-0`. */
function goJsonFloat(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/** Go's `json.Marshal` of the value's raw form; undefined where Go fails (a NaN or infinite double). */
function goJson(v: AnyValue): string | undefined {
  switch (v.kind) {
    case "string":
      return goJsonString(v.value);
    case "bool":
      return v.value ? "true" : "false";
    case "int":
      return v.value.toString();
    case "double":
      return Number.isFinite(v.value) ? goJsonFloat(v.value) : undefined;
    case "bytes":
      return `"${base64(v.value)}"`;
    case "empty":
      return "null";
    case "array": {
      const parts: string[] = [];
      for (const item of v.values) {
        const s = goJson(item);
        if (s === undefined) return undefined;
        parts.push(s);
      }
      return `[${parts.join(",")}]`;
    }
    case "kvlist":
      return goJsonObject(v.values);
  }
}

/** A key-value list as a Go map: a repeated key keeps its last value, keys sorted by code point. */
function goJsonObject(values: readonly KeyValue[]): string | undefined {
  const byKey = new Map<string, AnyValue>();
  for (const kv of values) byKey.set(kv.key, kv.value);
  const keys = [...byKey.keys()].sort(compareCodePoints);
  const parts: string[] = [];
  for (const k of keys) {
    const s = goJson(byKey.get(k)!);
    if (s === undefined) return undefined;
    parts.push(`${goJsonString(k)}:${s}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * Orders strings by code point, which is the byte order of their UTF-8 (Go's string order). JavaScript's
 * `<` compares UTF-16 code units, which differs for characters past U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (D800-DFFF) stands for a code point above every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const JSON_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x22, '\\"'],
  [0x5c, "\\\\"],
  [0x08, "\\b"],
  [0x0c, "\\f"],
  [0x0a, "\\n"],
  [0x0d, "\\r"],
  [0x09, "\\t"],
]);

/** A string as Go's `encoding/json` quotes it (with HTML escaping, as `json.Marshal` does). */
function goJsonString(s: string): string {
  // Go escapes the C0 controls, quote, backslash, the HTML characters <>&, U+2028 and U+2029, and writes
  // invalid UTF-8 (to JavaScript, a lone surrogate) as U+FFFD.
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair
        continue;
      }
      esc = "\\ufffd";
    } else if (
      c < 0x20 ||
      c === 0x22 ||
      c === 0x5c ||
      c === 0x3c ||
      c === 0x3e ||
      c === 0x26 ||
      c === 0x2028 ||
      c === 0x2029
    ) {
      esc = JSON_ESCAPES.get(c) ?? `\\u${c.toString(16).padStart(4, "0")}`;
    } else continue;
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return `${out + s.slice(from)}"`;
}
