/**
 * Turns decoded log records, in queue order, into Loki push requests of at most `batchSize` bytes of
 * lines, and keeps count of which disk-queue batch each entry came from, so that a batch is
 * acknowledged only when all its entries are done (delivered, refused for good or dropped).
 */
import { formatStreamLabels, type PushRequest, type PushStream } from "../../../wire/loki/index.js";
import type { DecodedLogRecord } from "./record-codec.js";

/** A disk-queue batch being sent: acknowledged when `open` falls to 0. */
export interface BatchRef {
  readonly token: number;
  /** Entries of the batch not yet done. */
  open: number;
}

/** A decoded record waiting, with how far it was taken into requests. */
interface Pending {
  readonly rec: DecodedLogRecord;
  readonly ref: BatchRef;
  /** When the record was appended, Unix ms. */
  readonly appendedAt: number;
  /** Selector text of each stream, made when first needed. */
  readonly texts: (string | undefined)[];
  /** The next entry to take: stream index, entry index. */
  si: number;
  ei: number;
}

/** One push request and the batches its entries came from. */
export interface OutgoingPush {
  readonly request: PushRequest;
  readonly entries: number;
  /** Bytes of lines and metadata (UTF-8). */
  readonly bytes: number;
  /** Entries taken from each batch. */
  readonly from: Map<BatchRef, number>;
}

/** A FIFO of decoded records from which requests are cut. */
export class PushBatcher {
  readonly #pending: Pending[] = [];
  /** Bytes of the entries not yet taken. */
  #bytes = 0;
  #entries = 0;

  /** Bytes of lines waiting to be taken into a request. */
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

  /** Queues a record (with at least one entry) of batch `ref`, behind the others. */
  add(rec: DecodedLogRecord, ref: BatchRef, appendedAt: number): void {
    this.#pending.push({ rec, ref, appendedAt, texts: [], si: 0, ei: 0 });
    for (const s of rec.streams) for (const n of s.sizes) this.#bytes += n;
    this.#entries += rec.entries;
  }

  /**
   * Takes entries from the front, in order, into one request of at most `maxBytes` bytes of lines
   * (at least one entry, however large). Streams with the same labels are merged; each stream's
   * entries keep their order. Undefined when nothing waits.
   */
  take(maxBytes: number): OutgoingPush | undefined {
    if (this.#pending.length === 0) return undefined;
    const byLabels = new Map<string, PushStream>();
    const streams: PushStream[] = [];
    const from = new Map<BatchRef, number>();
    let bytes = 0;
    let entries = 0;
    let full = false;
    while (!full && this.#pending.length > 0) {
      const p = this.#pending[0]!;
      let taken = 0;
      const ss = p.rec.streams;
      while (p.si < ss.length) {
        const s = ss[p.si]!;
        let text = p.texts[p.si];
        if (text === undefined) {
          text = formatStreamLabels(s.labels);
          p.texts[p.si] = text;
        }
        let out = byLabels.get(text);
        while (p.ei < s.entries.length) {
          const size = s.sizes[p.ei]!;
          if (entries > 0 && bytes + size > maxBytes) {
            full = true;
            break;
          }
          if (out === undefined) {
            out = { labels: text, entries: [] };
            byLabels.set(text, out);
            streams.push(out);
          }
          out.entries.push(s.entries[p.ei]!);
          p.ei++;
          bytes += size;
          entries++;
          taken++;
        }
        if (full) break;
        p.si++;
        p.ei = 0;
      }
      if (taken > 0) from.set(p.ref, (from.get(p.ref) ?? 0) + taken);
      if (p.si === ss.length) this.#pending.shift();
    }
    this.#bytes -= bytes;
    this.#entries -= entries;
    return { request: { streams }, entries, bytes, from };
  }

  /** Takes everything waiting (to drop it): the entries taken from each batch. */
  takeAll(): { entries: number; from: Map<BatchRef, number> } {
    const from = new Map<BatchRef, number>();
    let entries = 0;
    for (const p of this.#pending) {
      let left = 0;
      const ss = p.rec.streams;
      for (let si = p.si; si < ss.length; si++) left += ss[si]!.entries.length - (si === p.si ? p.ei : 0);
      from.set(p.ref, (from.get(p.ref) ?? 0) + left);
      entries += left;
    }
    this.#pending.length = 0;
    this.#bytes = 0;
    this.#entries = 0;
    return { entries, from };
  }
}
