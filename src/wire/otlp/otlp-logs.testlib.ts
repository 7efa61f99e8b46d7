/**
 * Test support for the OTLP logs codecs: an independent protobufjs codec of `ExportLogsServiceRequest`,
 * its schema written for the tests from opentelemetry-proto's field tables, and encoders that take one
 * request in its OTLP/JSON form and write it as JSON or as protobuf. Not part of the build.
 */
import { parseOtlpSchema } from "./otlp-common.testlib.js";

const root = parseOtlpSchema(
  "otlplogs",
  `
  message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
  message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
  message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
  message LogRecord {
    fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11; int32 severity_number = 2;
    string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
    uint32 dropped_attributes_count = 7; fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10;
    string event_name = 12;
  }
`,
);

/** protobufjs's `ExportLogsServiceRequest` type. */
export const PbLogsRequest = root.lookupType("otlplogs.ExportLogsServiceRequest");

/** A request in its OTLP/JSON form (lowerCamelCase keys, 64-bit integers as strings, ids in hex). */
export type OtlpLogsJson = Record<string, unknown>;

/** `doc` as OTLP/JSON bytes. */
export function encodeLogsJson(doc: OtlpLogsJson): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** `doc` (OTLP/JSON form) as protobuf bytes, written by protobufjs. */
export function encodeLogsProto(doc: OtlpLogsJson): Uint8Array {
  const msg = PbLogsRequest.fromObject(toPb(doc) as Record<string, unknown>);
  return PbLogsRequest.encode(msg).finish();
}

/** The JSON form turned into what protobufjs's `fromObject` reads: ids become bytes, names of severities numbers. */
function toPb(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => toPb(x));
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPb(x, k);
    return out;
  }
  if ((key === "traceId" || key === "spanId") && typeof v === "string") return Buffer.from(v, "hex");
  return v;
}

/** A string attribute in OTLP/JSON form. */
export const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** One resource with one scope holding `records`, in OTLP/JSON form. */
export function oneResource(
  resourceAttributes: unknown[],
  records: Record<string, unknown>[],
  scope: Record<string, unknown> = {},
): OtlpLogsJson {
  return {
    resourceLogs: [
      { resource: { attributes: resourceAttributes }, scopeLogs: [{ scope, logRecords: records }] },
    ],
  };
}
