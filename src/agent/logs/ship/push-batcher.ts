/**
 * Turns indexed log records, in queue order, into Loki push requests of at most `batchSize` bytes of
 * entries, and keeps count of which disk-queue batch each entry came from, so that a batch is
 * acknowledged only when all its entries are done (delivered, refused for good or dropped).
 *
 * Records hold their entries as push request bytes (docs/format/agent-log-records.md), so a request
 * is a list of byte ranges per stream, and {@link encodePushRequest} copies them behind each
 * stream's labels: no entry is decoded.
 *
 * A batcher copies the streams it is given into a buffer of its own, reused as requests are taken:
 * the record they came from is garbage at once, young, instead of living as long as its slowest
 * stream waits — long enough for V8 to promote it, after which its bytes would stay allocated until
 * the next full collection.
 */
import { varintSize } from "../../../lib/protobuf/writer.js";
import { entryFieldSize, type IndexedStream } from "./record-codec.js";

/** A disk-queue batch being sent: acknowledged when `open` falls to 0. */
export interface BatchRef {
  readonly token: number;
  /** Entries of the batch not yet done. */
  open: number;
}

/** The streams of one record that one lane sends. */
export interface LaneRecord {
  readonly payload: Uint8Array;
  readonly streams: IndexedStream[];
  readonly entries: number;
}

/** A record's streams waiting in the batcher's buffer, with how far they were taken into requests. */
interface Pending {
  /** Offsets are into the batcher's buffer (moved when it is compacted). */
  readonly streams: IndexedStream[];
  readonly ref: BatchRef;
  /** When the record was appended, Unix ms. */
  readonly appendedAt: number;
  /** The next entry to take: stream index, its byte offset and its index in the stream. */
  si: number;
  pos: number;
  ei: number;
}

/** One stream of a request: its labels (selector text) and its entries as byte ranges, in order. */
export interface PushPart {
  readonly labels: string;
  readonly payloads: Uint8Array[];
  readonly starts: number[];
  readonly ends: number[];
}

/** One push request and the batches its entries came from. */
export interface OutgoingPush {
  readonly parts: PushPart[];
  readonly entries: number;
  /** Bytes of the entries' push encoding. */
  readonly bytes: number;
  /** Entries taken from each batch. */
  readonly from: Map<BatchRef, number>;
}

/** A FIFO of records from which requests are cut. */
export class PushBatcher {
  readonly #pending: Pending[] = [];
  /** The waiting streams' bytes are `#buf[#start, #end)`. */
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Bytes of the entries not yet taken. */
  #bytes = 0;
  #entries = 0;

  /** Bytes of entries waiting to be taken into a request. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries waiting to be taken into a request. */
  get entries(): number {
    return this.#entries;
  }

  /** `appendedAt` (Unix ms) of the oldest record waiting, or undefined when none is. */
  get oldestAppendedAt(): number | undefined {
    return this.#pending[0]?.appendedAt;
  }

  /** Queues a record's streams (at least one entry) of batch `ref`, behind the others; copies their bytes. */
  add(rec: LaneRecord, ref: BatchRef, appendedAt: number): void {
    let size = 0;
    for (const s of rec.streams) size += s.end - s.start;
    this.#makeRoom(size);
    const streams: IndexedStream[] = [];
    for (const s of rec.streams) {
      const start = this.#end;
      // Buffer's copy takes a plain Uint8Array source too, without making a view of it.
      this.#end += Buffer.prototype.copy.call(rec.payload, this.#buf, start, s.start, s.end);
      streams.push({ key: s.key, start, end: this.#end, entries: s.entries });
    }
    this.#pending.push({ streams, ref, appendedAt, si: 0, pos: streams[0]!.start, ei: 0 });
    this.#bytes += size;
    this.#entries += rec.entries;
  }

  /** Room for `size` more bytes: the waiting bytes moved to the front, the buffer grown if need be. */
  #makeRoom(size: number): void {
    if (this.#end + size <= this.#buf.length) return;
    const live = this.#end - this.#start;
    const shift = this.#start;
    if (live + size > this.#buf.length) {
      // A quarter more than needed, not double: the lane's read-ahead bounds what it holds.
      const next = Buffer.allocUnsafe(Math.max(64 * 1024, Math.ceil((live + size) * 1.25)));
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
    } else this.#buf.copyWithin(0, this.#start, this.#end);
    this.#start = 0;
    this.#end = live;
    for (const p of this.#pending) {
      p.pos -= shift;
      for (let i = 0; i < p.streams.length; i++) {
        const s = p.streams[i]!;
        p.streams[i] = { key: s.key, start: s.start - shift, end: s.end - shift, entries: s.entries };
      }
    }
  }

  /**
   * Takes entries from the front, in order, into one request of at most `maxBytes` bytes of entries
   * (at least one entry, however large). Streams with the same labels are merged; each stream's
   * entries keep their order. Undefined when nothing waits. The request's byte ranges are in the
   * batcher's buffer: encode it ({@link encodePushRequest}) before the next `add`.
   */
  take(maxBytes: number): OutgoingPush | undefined {
    if (this.#pending.length === 0) return undefined;
    const byLabels = new Map<string, PushPart>();
    const parts: PushPart[] = [];
    const from = new Map<BatchRef, number>();
    let bytes = 0;
    let entries = 0;
    let full = false;
    while (!full && this.#pending.length > 0) {
      const p = this.#pending[0]!;
      const ss = p.streams;
      const payload = this.#buf;
      let taken = 0;
      while (p.si < ss.length) {
        const s = ss[p.si]!;
        // The rest of the stream if it fits (the usual case), else as many entries as fit.
        let end = s.end;
        let n = s.entries - p.ei;
        if (bytes + (end - p.pos) > maxBytes) {
          end = p.pos;
          n = 0;
          while (end < s.end) {
            const size = entryFieldSize(payload, end);
            if (entries + n > 0 && bytes + (end - p.pos) + size > maxBytes) break;
            end += size;
            n++;
          }
          full = true;
        }
        if (n > 0) {
          let part = byLabels.get(s.key.text);
          if (part === undefined) {
            part = { labels: s.key.text, payloads: [], starts: [], ends: [] };
            byLabels.set(s.key.text, part);
            parts.push(part);
          }
          part.payloads.push(payload);
          part.starts.push(p.pos);
          part.ends.push(end);
          bytes += end - p.pos;
          entries += n;
          taken += n;
        }
        if (full && end < s.end) {
          p.pos = end;
          p.ei += n;
          break;
        }
        p.si++;
        p.ei = 0;
        p.pos = ss[p.si]?.start ?? 0;
        if (full) break;
      }
      if (taken > 0) from.set(p.ref, (from.get(p.ref) ?? 0) + taken);
      if (p.si === ss.length) this.#pending.shift();
    }
    this.#bytes -= bytes;
    this.#entries -= entries;
    // What was taken is free for the next records once the request is encoded.
    const first = this.#pending[0];
    this.#start = first === undefined ? 0 : first.pos;
    if (first === undefined) this.#end = 0;
    return { parts, entries, bytes, from };
  }

  /** Takes everything waiting (to drop it): the entries taken from each batch. */
  takeAll(): { entries: number; from: Map<BatchRef, number> } {
    const from = new Map<BatchRef, number>();
    let entries = 0;
    for (const p of this.#pending) {
      let left = 0;
      const ss = p.streams;
      for (let si = p.si; si < ss.length; si++) left += ss[si]!.entries - (si === p.si ? p.ei : 0);
      from.set(p.ref, (from.get(p.ref) ?? 0) + left);
      entries += left;
    }
    this.#pending.length = 0;
    this.#bytes = 0;
    this.#entries = 0;
    this.#start = 0;
    this.#end = 0;
    return { entries, from };
  }
}

/**
 * The uncompressed `logproto.PushRequest` of `push`: for each part a `StreamAdapter` with its labels
 * and its entry bytes copied as they are. Written into `scratch` when it is large enough (the result
 * is then a view of it, valid until the next call with it), else into a new buffer.
 */
export function encodePushRequest(push: OutgoingPush, scratch?: Buffer): Buffer {
  let total = 0;
  const labelBytes: number[] = [];
  const bodies: number[] = [];
  for (const part of push.parts) {
    const lb = Buffer.byteLength(part.labels, "utf8");
    let body = 1 + varintSize(lb) + lb;
    for (let i = 0; i < part.starts.length; i++) body += part.ends[i]! - part.starts[i]!;
    labelBytes.push(lb);
    bodies.push(body);
    total += 1 + varintSize(body) + body;
  }
  const out = scratch !== undefined && scratch.length >= total ? scratch : Buffer.allocUnsafe(total);
  let p = 0;
  push.parts.forEach((part, k) => {
    out[p++] = 0x0a; // PushRequest.streams (1, LEN)
    p = putUvarint(out, p, bodies[k]!);
    out[p++] = 0x0a; // StreamAdapter.labels (1, LEN)
    p = putUvarint(out, p, labelBytes[k]!);
    p += out.write(part.labels, p, labelBytes[k]!, "utf8");
    for (let i = 0; i < part.starts.length; i++) {
      // Buffer's copy takes a plain Uint8Array source too, without making a view of it.
      p += Buffer.prototype.copy.call(part.payloads[i]!, out, p, part.starts[i]!, part.ends[i]!);
    }
  });
  return out.subarray(0, total);
}

function putUvarint(b: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}
