/**
 * Protobuf framing shared by the remote-write decoders: how a field that a message does not read is
 * skipped, how a length-delimited field is located without copying it, and the in-place reading of
 * the Sample message, the one the hot-path decoders meet most.
 */
import { ProtobufError, type ProtobufReader } from "../../lib/protobuf/reader.js";

/**
 * Skips the field whose tag `tag` was just read. When its number is set in the bit mask `known`
 * (bit n = field n, for fields below 31) the message declares it, so reaching here means it came
 * with the wrong wire type: that throws {@link ProtobufError} naming `message`. Other fields are
 * unknown and skipped, as protobuf requires.
 */
export function skipField(r: ProtobufReader, tag: number, message: string, known: number): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  if (field < 31 && (known & (1 << field)) !== 0) {
    throw new ProtobufError(`${message} field ${field} has wrong wire type ${wireType}`, r.pos);
  }
  r.skip(wireType);
}

/**
 * Reads the length prefix of a length-delimited field and steps over its bytes, which are then
 * `[returned start, r.pos)`. Nothing is copied or allocated. Throws {@link ProtobufError} when the
 * length runs past `r.end`.
 */
export function stepOver(r: ProtobufReader): number {
  const at = r.pos;
  const len = r.uint64();
  const start = r.pos;
  if (len > r.end - start) {
    throw new ProtobufError(`truncated: length prefix says ${len} bytes, ${r.end - start} left`, at);
  }
  r.pos = start + len;
  return start;
}

const SAMPLE_VALUE = 0x09; // field 1, fixed64
const SAMPLE_TIMESTAMP = 0x10; // field 2, varint
const SAMPLE_START_TIMESTAMP = 0x18; // field 3, varint (2.0)

/**
 * Reads a Sample message `buf[start, end)` in place when it has the usual shape: `value` (field 1),
 * then `timestamp` (2), then `start_timestamp` (3, 2.0 only), each at most once and in that order,
 * with non-negative timestamps of at most 7 varint bytes (below 2^49 ms, the year 19800). Writes
 * value, timestamp and start timestamp (0 when absent) to `out[0..2]` and returns true; returns
 * false for any other shape, which the caller then reads field by field. `view` spans `buf`.
 */
export function scanSample(
  buf: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  out: Float64Array,
): boolean {
  let p = start;
  let value = 0;
  if (p < end && buf[p] === SAMPLE_VALUE) {
    if (end - p < 9) return false;
    value = view.getFloat64(p + 1, true);
    p += 9;
  }
  out[0] = value;
  out[1] = 0;
  out[2] = 0;
  if (p < end && buf[p] === SAMPLE_TIMESTAMP) {
    p = scanVarint(buf, p + 1, end, out, 1);
    if (p < 0) return false;
  }
  if (p < end && buf[p] === SAMPLE_START_TIMESTAMP) {
    p = scanVarint(buf, p + 1, end, out, 2);
    if (p < 0) return false;
  }
  return p === end;
}

/** Reads a varint of at most 7 bytes at `buf[p]` into `out[at]`; returns the position after it, or -1. */
function scanVarint(buf: Uint8Array, p: number, end: number, out: Float64Array, at: number): number {
  let v = 0;
  let scale = 1;
  for (let n = 0; n < 7 && p < end; n++, scale *= 128) {
    const b = buf[p++]!;
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      out[at] = v;
      return p;
    }
  }
  return -1;
}
