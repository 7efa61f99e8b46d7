/**
 * OTLP/HTTP logs in JSON (`Content-Type: application/json`): a decoder of the protobuf JSON mapping of
 * `ExportLogsServiceRequest` with OTLP's rules (opentelemetry-proto `docs/specification.md`, "JSON
 * Protobuf Encoding"), as `metrics-json.ts` reads metrics: keys are lowerCamelCase field names and
 * unknown keys are ignored; 64-bit integers are decimal strings (numbers are accepted too); enums are
 * integers (`SEVERITY_NUMBER_*` names are accepted too); `bytes` are base64 except `traceId` and
 * `spanId`, which OTLP writes as hex; `null` means "not set".
 */
import { PushError } from "../loki/index.js";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import { idHex } from "./logs-proto.js";
import {
  type ExportLogsServiceRequest,
  emptyLogRecord,
  type LogRecord,
  type ResourceLogs,
  type ScopeLogs,
} from "./logs-types.js";
import type { AnyValue, KeyValue } from "./types.js";

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest` from UTF-8 bytes (already decompressed). Invalid
 * JSON or UTF-8, a value of the wrong JSON type, an out-of-range integer, a trace or span id that is
 * not 32 or 16 hex digits (or empty), two members of one oneof, or attribute values nested deeper than
 * {@link MAX_ANY_VALUE_DEPTH} throw {@link PushError} `malformed`, whose message names the field's path.
 */
export function decodeExportLogsServiceRequestJson(body: Uint8Array): ExportLogsServiceRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(body));
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PushError("malformed", `OTLP logs: body is not valid UTF-8 JSON: ${why}`, { cause: err });
  }
  const root = object(doc, "$") ?? {};
  return {
    resourceLogs: array(root.resourceLogs, "resourceLogs").map((v, i) =>
      resourceLogs(v, `resourceLogs[${i}]`),
    ),
  };
}

function fail(path: string, message: string): never {
  const at = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  throw new PushError("malformed", `OTLP logs: invalid JSON body at ${at}: ${message}`);
}

function resourceLogs(v: unknown, path: string): ResourceLogs {
  const o = object(v, path) ?? {};
  const res = object(o.resource, `${path}.resource`) ?? {};
  return {
    resource: { attributes: attributes(res.attributes, `${path}.resource.attributes`, 0) },
    scopeLogs: array(o.scopeLogs, `${path}.scopeLogs`).map((s, i) => scopeLogs(s, `${path}.scopeLogs[${i}]`)),
    schemaUrl: string(o.schemaUrl, `${path}.schemaUrl`),
  };
}

function scopeLogs(v: unknown, path: string): ScopeLogs {
  const o = object(v, path) ?? {};
  const s = object(o.scope, `${path}.scope`) ?? {};
  return {
    scope: {
      name: string(s.name, `${path}.scope.name`),
      version: string(s.version, `${path}.scope.version`),
      attributes: attributes(s.attributes, `${path}.scope.attributes`, 0),
      droppedAttributesCount: uint32(s.droppedAttributesCount, `${path}.scope.droppedAttributesCount`),
    },
    logRecords: array(o.logRecords, `${path}.logRecords`).map((r, i) =>
      logRecord(r, `${path}.logRecords[${i}]`),
    ),
    schemaUrl: string(o.schemaUrl, `${path}.schemaUrl`),
  };
}

function logRecord(v: unknown, path: string): LogRecord {
  const o = object(v, path) ?? {};
  const lr = emptyLogRecord();
  lr.timeUnixNano = integer(o.timeUnixNano, `${path}.timeUnixNano`, 0n, UINT64_MAX);
  lr.observedTimeUnixNano = integer(o.observedTimeUnixNano, `${path}.observedTimeUnixNano`, 0n, UINT64_MAX);
  lr.severityNumber = severityNumber(o.severityNumber, `${path}.severityNumber`);
  lr.severityText = string(o.severityText, `${path}.severityText`);
  lr.body = anyValue(o.body, `${path}.body`, 1);
  lr.attributes = attributes(o.attributes, `${path}.attributes`, 0);
  lr.droppedAttributesCount = uint32(o.droppedAttributesCount, `${path}.droppedAttributesCount`);
  lr.flags = uint32(o.flags, `${path}.flags`);
  lr.traceId = id(o.traceId, 16, `${path}.traceId`);
  lr.spanId = id(o.spanId, 8, `${path}.spanId`);
  lr.eventName = string(o.eventName, `${path}.eventName`);
  return lr;
}

function attributes(v: unknown, path: string, depth: number): KeyValue[] {
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

function anyValue(v: unknown, path: string, depth: number): AnyValue {
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
      return { kind: "bytes", value: base64(o.bytesValue, p) };
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
function oneOf<K extends string>(o: JsonObject, keys: readonly K[], path: string): K | undefined {
  let found: K | undefined;
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (found !== undefined) fail(path, `both ${found} and ${k} are set, but they are one oneof`);
    found = k;
  }
  return found;
}

function object(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(path, "expected an object");
  return v as JsonObject;
}

function array(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, "expected an array");
  return v;
}

function string(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") fail(path, "expected a string");
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") fail(path, "expected true or false");
  return v;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A double: a JSON number, or a string holding a number, `NaN`, `Infinity` or `-Infinity`. */
function double(v: unknown, path: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (DECIMAL.test(v)) return Number(v);
  }
  return fail(path, "expected a number");
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INTEGER = /^-?\d{1,30}$/;

/** An integer in `[min, max]`: a JSON number without a fraction, or a decimal string. Unset is 0. */
function integer(v: unknown, path: string, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (v === undefined || v === null) return 0n;
  if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && INTEGER.test(v)) b = BigInt(v);
  else return fail(path, "expected an integer (a decimal string or a number)");
  if (b < min || b > max) fail(path, `${b} is out of range [${min}, ${max}]`);
  return b;
}

function uint32(v: unknown, path: string): number {
  if (typeof v === "number" && v >>> 0 === v) return v; // the common case, without a bigint
  return Number(integer(v, path, 0n, UINT32_MAX));
}

/** `SeverityNumber` names, index = number: UNSPECIFIED, then TRACE, TRACE2…4, DEBUG…, up to FATAL4. */
const SEVERITY_NAMES: readonly string[] = [
  "SEVERITY_NUMBER_UNSPECIFIED",
  ...["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((level) =>
    ["", "2", "3", "4"].map((n) => `SEVERITY_NUMBER_${level}${n}`),
  ),
];

/** A `SeverityNumber`: an integer (as OTLP/JSON writes it) or its name. */
function severityNumber(v: unknown, path: string): number {
  if (typeof v === "string" && v.startsWith("SEVERITY_NUMBER_")) {
    const n = SEVERITY_NAMES.indexOf(v);
    if (n < 0) fail(path, `unknown severity ${JSON.stringify(v)}`);
    return n;
  }
  return Number(integer(v, path, INT32_MIN, INT32_MAX));
}

const HEX = /^[0-9a-fA-F]*$/;

/** A trace or span id of `size` bytes as hex (OTLP/JSON's exception to base64); empty is "not set". */
function id(v: unknown, size: number, path: string): string {
  const s = string(v, path);
  if (s === "") return "";
  if (s.length !== size * 2 || !HEX.test(s)) {
    fail(path, `expected ${size * 2} hex digits (a ${size}-byte id) or nothing`);
  }
  return idHex(Buffer.from(s, "hex"));
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Base64, standard or URL-safe, padded or not (protobuf JSON accepts all four). */
function base64(v: unknown, path: string): Uint8Array {
  if (typeof v !== "string" || !BASE64.test(v) || v.replace(/=+$/, "").length % 4 === 1) {
    fail(path, "expected base64 text");
  }
  return new Uint8Array(Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}
