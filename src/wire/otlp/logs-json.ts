/**
 * OTLP/HTTP logs in JSON (`Content-Type: application/json`): a decoder of the protobuf JSON mapping of
 * `ExportLogsServiceRequest` with OTLP's rules (opentelemetry-proto `docs/specification.md`, "JSON
 * Protobuf Encoding"), as `metrics-json.ts` reads metrics: keys are lowerCamelCase field names and
 * unknown keys are ignored; 64-bit integers are decimal strings (numbers are accepted too); enums are
 * integers (`SEVERITY_NUMBER_*` names are accepted too); `bytes` are base64 except `traceId` and
 * `spanId`, which OTLP writes as hex; `null` means "not set".
 */
import { PushError } from "../loki/index.js";
import { idHex } from "./logs-proto.js";
import {
  type ExportLogsServiceRequest,
  emptyLogRecord,
  type LogRecord,
  type ResourceLogs,
  type ScopeLogs,
} from "./logs-types.js";
import {
  anyValue,
  array,
  attributes,
  fail,
  INT32_MAX,
  INT32_MIN,
  integer,
  object,
  readDocument,
  string,
  UINT64_MAX,
  uint32,
} from "./otlp-json.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest` from UTF-8 bytes (already decompressed). Invalid
 * JSON or UTF-8, a value of the wrong JSON type, an out-of-range integer, a trace or span id that is
 * not 32 or 16 hex digits (or empty), two members of one oneof, or attribute values nested deeper than
 * `MAX_ANY_VALUE_DEPTH` throw {@link PushError} `malformed`, whose message names the field's path.
 */
export function decodeExportLogsServiceRequestJson(body: Uint8Array): ExportLogsServiceRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(body));
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PushError("malformed", `OTLP logs: body is not valid UTF-8 JSON: ${why}`, { cause: err });
  }
  return readDocument(
    doc,
    (root) => ({
      resourceLogs: array(root.resourceLogs, "resourceLogs").map((v, i) =>
        resourceLogs(v, `resourceLogs[${i}]`),
      ),
    }),
    (err) => {
      const at = err.path.length > 200 ? `${err.path.slice(0, 200)}…` : err.path;
      return new PushError("malformed", `OTLP logs: invalid JSON body at ${at}: ${err.detail}`);
    },
  );
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
