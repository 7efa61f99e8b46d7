/**
 * OTLP/HTTP logs in protobuf (`Content-Type: application/x-protobuf`): a decoder of
 * `opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest`, with the field numbers of
 * opentelemetry-proto's `logs/v1/logs.proto`, `common/v1/common.proto` and `resource/v1/resource.proto`.
 * The bytes are already decompressed.
 *
 * Proto3 rules are kept as in `metrics-proto.ts`: unknown fields are skipped; a singular sub-message
 * that appears twice is merged; of scalars, the last occurrence wins.
 */
import {
  ProtobufError,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import { PushError } from "../loki/index.js";
import {
  bit,
  OtlpReader,
  readAnyValue,
  readEnvelope,
  readExportRequest,
  readKeyValue,
  readResource,
  readScope,
  skipUnknown,
  tag,
} from "./common-proto.js";
import {
  type ExportLogsServiceRequest,
  emptyLogRecord,
  type LogRecord,
  type LogsScope,
  type ResourceLogs,
  type ScopeLogs,
} from "./logs-types.js";

const LR_TIME = tag(1, WIRE_FIXED64);
const LR_SEVERITY_NUMBER = tag(2, WIRE_VARINT);
const LR_SEVERITY_TEXT = tag(3, WIRE_LEN);
const LR_BODY = tag(5, WIRE_LEN);
const LR_ATTRIBUTES = tag(6, WIRE_LEN);
const LR_DROPPED = tag(7, WIRE_VARINT);
const LR_FLAGS = tag(8, WIRE_FIXED32);
const LR_TRACE_ID = tag(9, WIRE_LEN);
const LR_SPAN_ID = tag(10, WIRE_LEN);
const LR_OBSERVED_TIME = tag(11, WIRE_FIXED64);
const LR_EVENT_NAME = tag(12, WIRE_LEN);

// The bit mask (bit n = field n) of LogRecord's declared fields, to tell a wrong wire type from an
// unknown field. ResourceLogs' field 1000 (the long-gone instrumentation_library_logs) is past the
// envelope's mask (`common-proto.ts`) and skipped like any unknown field.
const KNOWN_LOG_RECORD = bit(1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12);

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

/**
 * Decodes an `ExportLogsServiceRequest` from uncompressed protobuf bytes. Unknown fields are skipped;
 * a known field with the wrong wire type, truncated data, invalid UTF-8, a trace id that is not 16
 * bytes or a span id that is not 8 (empty is fine), or attribute values nested deeper than
 * `MAX_ANY_VALUE_DEPTH` throw {@link PushError} `malformed`. The result holds no reference to `buf`.
 */
export function decodeExportLogsServiceRequest(buf: Uint8Array): ExportLogsServiceRequest {
  // Read through a plain Uint8Array view: sub-arrays of a Buffer are Buffers, several times dearer to make.
  const r = new OtlpReader(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const resourceLogs = readExportRequest(
    r,
    "ExportLogsServiceRequest",
    readResourceLogs,
    (err) =>
      new PushError("malformed", `OTLP logs: invalid protobuf ExportLogsServiceRequest: ${err.message}`, {
        cause: err,
      }),
  );
  return { resourceLogs };
}

function readResourceLogs(r: OtlpReader): ResourceLogs {
  const e = readEnvelope(r, "ResourceLogs", { attributes: [] }, readResource, readScopeLogs);
  return { resource: e.head, scopeLogs: e.items, schemaUrl: e.schemaUrl };
}

function readScopeLogs(r: OtlpReader): ScopeLogs {
  const scope: LogsScope = { name: "", version: "", attributes: [], droppedAttributesCount: 0 };
  const e = readEnvelope(r, "ScopeLogs", scope, readScope, readLogRecord);
  return { scope: e.head, logRecords: e.items, schemaUrl: e.schemaUrl };
}

function readLogRecord(r: OtlpReader): LogRecord {
  const outer = r.pushLimit();
  const lr = emptyLogRecord();
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case LR_TIME:
        lr.timeUnixNano = fixed64Exact(r);
        break;
      case LR_OBSERVED_TIME:
        lr.observedTimeUnixNano = fixed64Exact(r);
        break;
      case LR_SEVERITY_NUMBER:
        lr.severityNumber = r.int32();
        break;
      case LR_SEVERITY_TEXT:
        lr.severityText = r.string();
        break;
      case LR_BODY:
        lr.body = readAnyValue(r, lr.body);
        break;
      case LR_ATTRIBUTES:
        lr.attributes.push(readKeyValue(r));
        break;
      case LR_DROPPED:
        lr.droppedAttributesCount = r.uint32();
        break;
      case LR_FLAGS:
        lr.flags = r.fixed32();
        break;
      case LR_TRACE_ID:
        lr.traceId = readId(r, TRACE_ID_BYTES, "trace_id");
        break;
      case LR_SPAN_ID:
        lr.spanId = readId(r, SPAN_ID_BYTES, "span_id");
        break;
      case LR_EVENT_NAME:
        lr.eventName = r.string();
        break;
      default:
        skipUnknown(r, t, "LogRecord", KNOWN_LOG_RECORD);
    }
  }
  r.popLimit(outer);
  return lr;
}

/** A `fixed64` as an exact unsigned bigint. */
function fixed64Exact(r: OtlpReader): bigint {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A trace or span id of exactly `size` bytes (or none) as lowercase hex; all zero bytes read as none. */
function readId(r: OtlpReader, size: number, field: string): string {
  const at = r.pos;
  const b = r.bytes();
  if (b.length === 0) return "";
  if (b.length !== size) {
    throw new ProtobufError(`LogRecord.${field} is ${b.length} bytes; it must be ${size} or empty`, at);
  }
  return idHex(b);
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of `b`, or `""` when every byte is zero (an id that is not set). */
export function idHex(b: Uint8Array): string {
  let out = "";
  let any = 0;
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    any |= x;
    out += HEX_BYTE[x]!;
  }
  return any === 0 ? "" : out;
}
