/**
 * Loki's `logproto.PushRequest` protobuf message (field numbers of Loki's `pkg/push/push.proto`),
 * already snappy-decompressed. This is the codec only: labels stay as selector text and nothing is
 * validated beyond the wire format and the range of `google.protobuf.Timestamp`.
 */
import { ProtobufError, ProtobufReader, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { skipField } from "../remote-write/framing.js";
import { PushError } from "./errors.js";
import type { PushEntry, PushRequest, PushStream } from "./types.js";

// Tags (field number << 3 | wire type) of every field we read.
const REQ_STREAMS = (1 << 3) | WIRE_LEN;
const STREAM_LABELS = (1 << 3) | WIRE_LEN;
const STREAM_ENTRIES = (2 << 3) | WIRE_LEN;
const ENTRY_TIMESTAMP = (1 << 3) | WIRE_LEN;
const ENTRY_LINE = (2 << 3) | WIRE_LEN;
const ENTRY_METADATA = (3 << 3) | WIRE_LEN;
const TS_SECONDS = (1 << 3) | WIRE_VARINT;
const TS_NANOS = (2 << 3) | WIRE_VARINT;
const PAIR_NAME = (1 << 3) | WIRE_LEN;
const PAIR_VALUE = (2 << 3) | WIRE_LEN;

// Bit masks (bit n = field n) of the fields read, to tell a wrong wire type from a field to skip.
// PushRequest.format (2), StreamAdapter.hash (3) and EntryAdapter.parsed (4) are declared but
// skipped like unknown fields, whatever their wire type.
const KNOWN_REQUEST = 1 << 1;
const KNOWN_STREAM = (1 << 1) | (1 << 2);
const KNOWN_ENTRY = (1 << 1) | (1 << 2) | (1 << 3);
const KNOWN_TIMESTAMP = (1 << 1) | (1 << 2);
const KNOWN_PAIR = (1 << 1) | (1 << 2);

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;
const NS_PER_SECOND = 1_000_000_000n;

/**
 * Decodes a `logproto.PushRequest` from uncompressed protobuf bytes. Unknown fields are skipped; a
 * known field with the wrong wire type, truncated data, invalid UTF-8, or a timestamp outside
 * `google.protobuf.Timestamp`'s range throws {@link PushError} `malformed`. The result holds no
 * reference to `buf`.
 */
export function decodePushRequestProto(buf: Uint8Array): PushRequest {
  const r = new ProtobufReader(buf);
  try {
    const streams: PushStream[] = [];
    while (!r.done) {
      const tag = r.tag();
      if (tag === REQ_STREAMS) {
        const outer = r.pushLimit();
        streams.push(readStream(r));
        r.popLimit(outer);
      } else skipField(r, tag, "PushRequest", KNOWN_REQUEST);
    }
    return { streams };
  } catch (err: unknown) {
    if (err instanceof ProtobufError) {
      throw new PushError("malformed", `Loki push: invalid protobuf PushRequest: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

function readStream(r: ProtobufReader): PushStream {
  let labels = "";
  const entries: PushEntry[] = [];
  while (!r.done) {
    const tag = r.tag();
    if (tag === STREAM_LABELS) labels = r.string();
    else if (tag === STREAM_ENTRIES) {
      const outer = r.pushLimit();
      entries.push(readEntry(r));
      r.popLimit(outer);
    } else skipField(r, tag, "StreamAdapter", KNOWN_STREAM);
  }
  return { labels, entries };
}

function readEntry(r: ProtobufReader): PushEntry {
  let timestampNs = 0n;
  let line = "";
  let metadata: [string, string][] | undefined;
  while (!r.done) {
    const tag = r.tag();
    if (tag === ENTRY_TIMESTAMP) {
      const outer = r.pushLimit();
      timestampNs = readTimestamp(r);
      r.popLimit(outer);
    } else if (tag === ENTRY_LINE) line = r.string();
    else if (tag === ENTRY_METADATA) {
      const outer = r.pushLimit();
      if (metadata === undefined) metadata = [];
      metadata.push(readPair(r));
      r.popLimit(outer);
    } else skipField(r, tag, "EntryAdapter", KNOWN_ENTRY);
  }
  return metadata === undefined ? { timestampNs, line } : { timestampNs, line, structuredMetadata: metadata };
}

/** A `google.protobuf.Timestamp` as nanoseconds since the epoch. */
function readTimestamp(r: ProtobufReader): bigint {
  const at = r.pos;
  let seconds = 0;
  let nanos = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === TS_SECONDS) seconds = r.int64();
    else if (tag === TS_NANOS) nanos = r.int32();
    else skipField(r, tag, "Timestamp", KNOWN_TIMESTAMP);
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new ProtobufError(`Timestamp seconds ${seconds} is outside years 1 to 9999`, at);
  }
  if (nanos < 0 || nanos >= 1e9) {
    throw new ProtobufError(`Timestamp nanos ${nanos} is outside [0, 999999999]`, at);
  }
  return BigInt(seconds) * NS_PER_SECOND + BigInt(nanos);
}

function readPair(r: ProtobufReader): [string, string] {
  let name = "";
  let value = "";
  while (!r.done) {
    const tag = r.tag();
    if (tag === PAIR_NAME) name = r.string();
    else if (tag === PAIR_VALUE) value = r.string();
    else skipField(r, tag, "LabelPairAdapter", KNOWN_PAIR);
  }
  return [name, value];
}
