/**
 * The OTLP logs data model (`opentelemetry.proto.logs.v1` and `collector.logs.v1`), as both logs
 * decoders in this folder produce it: protobuf (`logs-proto.ts`) and JSON (`logs-json.ts`).
 *
 * Conventions, the same for both encodings:
 * - timestamps are the wire's unsigned 64-bit nanoseconds as exact `bigint`s (0 means "not set");
 * - trace and span ids are lowercase hex (`""` when unset), already checked to be 16 and 8 bytes;
 * - unset proto3 fields hold their defaults (0, "", empty arrays, an `empty` body).
 *
 * Every decoded structure is a fresh object owned by the caller; none refers to the request bytes.
 */
import type { AnyValue, KeyValue, Resource } from "./types.js";

/** The instrumentation scope of a batch of log records (`common.v1.InstrumentationScope`). */
export interface LogsScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  /** How many attributes the sender dropped before sending. */
  droppedAttributesCount: number;
}

/** One log record (`logs.v1.LogRecord`). */
export interface LogRecord {
  /** When the event happened, ns since the Unix epoch (unsigned); 0 when unknown. */
  timeUnixNano: bigint;
  /** When the collection system saw the event, ns since the Unix epoch (unsigned); 0 when unknown. */
  observedTimeUnixNano: bigint;
  /** `SeverityNumber` (1–24 when set); 0 is unspecified. Unknown numbers decode as they are. */
  severityNumber: number;
  severityText: string;
  /** The record's body; `{ kind: "empty" }` when the sender set none. */
  body: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  /** `LogRecordFlags` bits (the low 8 are W3C trace flags). */
  flags: number;
  /** 32 lowercase hex digits, or `""` when unset (or all zero bytes were sent as none). */
  traceId: string;
  /** 16 lowercase hex digits, or `""` when unset. */
  spanId: string;
  eventName: string;
}

/** The log records of one instrumentation scope. */
export interface ScopeLogs {
  scope: LogsScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

/** The log records of one resource. */
export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/** The body of an OTLP/HTTP `POST /v1/logs` (`collector.logs.v1.ExportLogsServiceRequest`). */
export interface ExportLogsServiceRequest {
  resourceLogs: ResourceLogs[];
}

/** A log record with every field at its default, to be filled in by a decoder. */
export function emptyLogRecord(): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: "",
    body: { kind: "empty" },
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: "",
    spanId: "",
    eventName: "",
  };
}
