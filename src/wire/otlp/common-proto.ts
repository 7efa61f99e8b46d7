/**
 * What the OTLP protobuf decoders share: a reader with OTLP's 64-bit conventions, the messages of
 * opentelemetry-proto's `common/v1/common.proto` (`KeyValue`, `AnyValue`, `InstrumentationScope`) and
 * `resource/v1/resource.proto` (`Resource`), the envelope every export request shares (request →
 * resource → scope → items), and the rule for fields a decoder does not read.
 */
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from "./types.js";

/** How deeply array and kvlist attribute values may nest before the request is refused. */
export const MAX_ANY_VALUE_DEPTH = 64;

const TWO_32 = 4294967296;

/** A field tag: `fieldNumber << 3 | wireType`. */
export const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** A bit mask with bit `n` set for each field number `n` (below 31). */
export const bit = (...fields: number[]): number => fields.reduce((m, f) => m | (1 << f), 0);

/** Milliseconds in the unsigned 64-bit nanosecond count `hi * 2^32 + lo`, floored, computed exactly. */
export function nanosToMs(lo: number, hi: number): number {
  // With hi = a * 10^6 + b: ns = a * 10^6 * 2^32 + (b * 2^32 + lo), and the bracket is below 2^53.
  const a = Math.floor(hi / 1e6);
  const rest = (hi - a * 1e6) * TWO_32 + lo;
  let q = Math.floor(rest / 1e6);
  const r = rest - q * 1e6; // exact: both terms are integers below 2^53
  if (r < 0) q--;
  else if (r >= 1e6) q++;
  return a * TWO_32 + q;
}

/**
 * A {@link ProtobufReader} that also reads OTLP's 64-bit fields and tracks attribute nesting. It borrows
 * `buf` as the base reader does.
 */
export class OtlpReader extends ProtobufReader {
  /** Current nesting of AnyValue messages, checked against {@link MAX_ANY_VALUE_DEPTH}. */
  depth = 0;
  readonly #bytes: Uint8Array;

  /** A reader over all of `buf`. */
  constructor(buf: Uint8Array) {
    super(buf);
    this.#bytes = buf;
  }

  /** Protobuf `fixed64` as a number (rounded beyond 2^53). */
  fixed64(): number {
    const lo = this.fixed32();
    return this.fixed32() * TWO_32 + lo;
  }

  /** Protobuf `sfixed64` as a number (rounded beyond ±2^53, as Go's `float64(int64)` rounds). */
  sfixed64(): number {
    const lo = this.fixed32();
    return (this.fixed32() | 0) * TWO_32 + lo;
  }

  /** A `fixed64` nanosecond timestamp as Unix milliseconds, floored, exactly. */
  nanosAsMs(): number {
    const lo = this.fixed32();
    return nanosToMs(lo, this.fixed32());
  }

  /** A two's-complement varint as an exact bigint (protobuf `int64`). */
  int64Exact(): bigint {
    const start = this.pos;
    const n = this.int64();
    if (Number.isSafeInteger(n)) return BigInt(n);
    // Past 2^53 the number was rounded: rebuild the value from the varint's bytes.
    let v = 0n;
    let shift = 0n;
    for (let i = start; i < this.pos; i++) {
      v |= BigInt(this.#bytes[i]! & 0x7f) << shift;
      shift += 7n;
    }
    return BigInt.asIntN(64, v);
  }
}

/**
 * Skips a field the caller does not read. A field whose number is set in the bit mask `known` has the
 * wrong wire type if it reaches here, which is an error rather than an unknown field.
 */
export function skipUnknown(r: ProtobufReader, t: number, message: string, known: number): void {
  const field = t >>> 3;
  const wireType = t & 7;
  if (field < 31 && (known & (1 << field)) !== 0) {
    throw new ProtobufError(`${message} field ${field} has wrong wire type ${wireType}`, r.pos);
  }
  r.skip(wireType);
}

const KV_KEY = tag(1, WIRE_LEN);
const KV_VALUE = tag(2, WIRE_LEN);
const AV_STRING = tag(1, WIRE_LEN);
const AV_BOOL = tag(2, WIRE_VARINT);
const AV_INT = tag(3, WIRE_VARINT);
const AV_DOUBLE = tag(4, WIRE_FIXED64);
const AV_ARRAY = tag(5, WIRE_LEN);
const AV_KVLIST = tag(6, WIRE_LEN);
const AV_BYTES = tag(7, WIRE_LEN);
const LIST_VALUES = tag(1, WIRE_LEN);
const KNOWN_KEY_VALUE = bit(1, 2);
const KNOWN_ANY_VALUE = bit(1, 2, 3, 4, 5, 6, 7);
const KNOWN_LIST = bit(1);

/** Reads a length-delimited `KeyValue` field. */
export function readKeyValue(r: OtlpReader): KeyValue {
  const outer = r.pushLimit();
  let key = "";
  let value: AnyValue = { kind: "empty" };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === KV_KEY) key = r.string();
    else if (t === KV_VALUE) value = readAnyValue(r, value);
    else skipUnknown(r, t, "KeyValue", KNOWN_KEY_VALUE);
  }
  r.popLimit(outer);
  return { key, value };
}

/**
 * Reads a length-delimited `AnyValue` field; `prev` is the value of an earlier occurrence of the same
 * field, which a second array or kvlist extends (protobuf merging).
 */
export function readAnyValue(r: OtlpReader, prev: AnyValue): AnyValue {
  const outer = r.pushLimit();
  if (++r.depth > MAX_ANY_VALUE_DEPTH) {
    throw new ProtobufError(`attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`, r.pos);
  }
  let v = prev;
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case AV_STRING:
        v = { kind: "string", value: r.string() };
        break;
      case AV_BOOL:
        v = { kind: "bool", value: r.bool() };
        break;
      case AV_INT:
        v = { kind: "int", value: r.int64Exact() };
        break;
      case AV_DOUBLE:
        v = { kind: "double", value: r.double() };
        break;
      case AV_BYTES:
        v = { kind: "bytes", value: new Uint8Array(r.bytes()) }; // a copy, a plain Uint8Array even from a Buffer
        break;
      case AV_ARRAY: {
        const values = v.kind === "array" ? v.values : [];
        const list = r.pushLimit();
        while (r.pos < r.end) {
          const lt = r.tag();
          if (lt === LIST_VALUES) values.push(readAnyValue(r, { kind: "empty" }));
          else skipUnknown(r, lt, "ArrayValue", KNOWN_LIST);
        }
        r.popLimit(list);
        v = { kind: "array", values };
        break;
      }
      case AV_KVLIST: {
        const values = v.kind === "kvlist" ? v.values : [];
        const list = r.pushLimit();
        while (r.pos < r.end) {
          const lt = r.tag();
          if (lt === LIST_VALUES) values.push(readKeyValue(r));
          else skipUnknown(r, lt, "KeyValueList", KNOWN_LIST);
        }
        r.popLimit(list);
        v = { kind: "kvlist", values };
        break;
      }
      default:
        skipUnknown(r, t, "AnyValue", KNOWN_ANY_VALUE);
    }
  }
  r.depth--;
  r.popLimit(outer);
  return v;
}

const RES_ATTRIBUTES = tag(1, WIRE_LEN);
const RES_DROPPED = tag(2, WIRE_VARINT);
const RES_ENTITY_REFS = tag(3, WIRE_LEN);
const SCOPE_NAME = tag(1, WIRE_LEN);
const SCOPE_VERSION = tag(2, WIRE_LEN);
const SCOPE_ATTRIBUTES = tag(3, WIRE_LEN);
const SCOPE_DROPPED = tag(4, WIRE_VARINT);
const KNOWN_RESOURCE = bit(1, 2, 3);
const KNOWN_SCOPE = bit(1, 2, 3, 4);

/**
 * Reads a length-delimited `Resource` field into `into`, appending its attributes (a second occurrence
 * merges). `dropped_attributes_count` and `entity_refs` are skipped.
 */
export function readResource(r: OtlpReader, into: Resource): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === RES_ATTRIBUTES) into.attributes.push(readKeyValue(r));
    else if (t === RES_DROPPED) r.skip(WIRE_VARINT);
    else if (t === RES_ENTITY_REFS) r.skip(WIRE_LEN);
    else skipUnknown(r, t, "Resource", KNOWN_RESOURCE);
  }
  r.popLimit(outer);
}

/**
 * Reads a length-delimited `InstrumentationScope` field into `into` (a second occurrence merges: its
 * attributes are appended, its scalars win). `dropped_attributes_count` is kept when `into` has a
 * `droppedAttributesCount` (the logs' `LogsScope`), and skipped when it has none (the metrics' scope).
 */
export function readScope(
  r: OtlpReader,
  into: InstrumentationScope & { droppedAttributesCount?: number },
): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === SCOPE_NAME) into.name = r.string();
    else if (t === SCOPE_VERSION) into.version = r.string();
    else if (t === SCOPE_ATTRIBUTES) into.attributes.push(readKeyValue(r));
    else if (t === SCOPE_DROPPED && into.droppedAttributesCount !== undefined) {
      into.droppedAttributesCount = r.uint32();
    } else if (t === SCOPE_DROPPED) r.skip(WIRE_VARINT);
    else skipUnknown(r, t, "InstrumentationScope", KNOWN_SCOPE);
  }
  r.popLimit(outer);
}

const REQ_RESOURCES = tag(1, WIRE_LEN);
const ENVELOPE_HEAD = tag(1, WIRE_LEN);
const ENVELOPE_ITEMS = tag(2, WIRE_LEN);
const ENVELOPE_SCHEMA_URL = tag(3, WIRE_LEN);
const KNOWN_REQUEST = bit(1);
const KNOWN_ENVELOPE = bit(1, 2, 3);

/**
 * Reads a whole export request (`ExportLogsServiceRequest`, `ExportMetricsServiceRequest`, named by
 * `message` in errors) from `r`: its repeated field 1 (`resource_logs`, `resource_metrics`), each read
 * by `readItem`. A
 * {@link ProtobufError} (truncated data, a known field with the wrong wire type, invalid UTF-8…) is
 * thrown again as what `malformed` makes of it.
 */
export function readExportRequest<T>(
  r: OtlpReader,
  message: string,
  readItem: (r: OtlpReader) => T,
  malformed: (err: ProtobufError) => Error,
): T[] {
  try {
    const items: T[] = [];
    while (r.pos < r.end) {
      const t = r.tag();
      if (t === REQ_RESOURCES) items.push(readItem(r));
      else skipUnknown(r, t, message, KNOWN_REQUEST);
    }
    return items;
  } catch (err: unknown) {
    if (err instanceof ProtobufError) throw malformed(err);
    throw err;
  }
}

/** An envelope message as {@link readEnvelope} returns it. */
export interface Envelope<H, T> {
  /** The resource or scope (field 1). */
  head: H;
  /** The scope groups or the items (field 2), in order. */
  items: T[];
  /** Field 3. */
  schemaUrl: string;
}

/**
 * Reads a length-delimited envelope message: `ResourceLogs`, `ScopeLogs`, `ResourceMetrics` and
 * `ScopeMetrics` (named by `message` in errors) share their fields: 1 the resource or scope, merged
 * into `head` by `readHead` ({@link readResource}, {@link readScope}); 2 a repeated item read by
 * `readItem`; 3 the schema URL.
 */
export function readEnvelope<H, T>(
  r: OtlpReader,
  message: string,
  head: H,
  readHead: (r: OtlpReader, into: H) => void,
  readItem: (r: OtlpReader) => T,
): Envelope<H, T> {
  const outer = r.pushLimit();
  const e: Envelope<H, T> = { head, items: [], schemaUrl: "" };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === ENVELOPE_ITEMS) e.items.push(readItem(r));
    else if (t === ENVELOPE_HEAD) readHead(r, head);
    else if (t === ENVELOPE_SCHEMA_URL) e.schemaUrl = r.string();
    else skipUnknown(r, t, message, KNOWN_ENVELOPE);
  }
  r.popLimit(outer);
  return e;
}
