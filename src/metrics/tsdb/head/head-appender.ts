import type { Labels } from "../../../model/labels.js";
import { AppendError, type Appender } from "../../storage/interface.js";
import { encodeSamples, encodeSeries, RecordBuffer, SampleBatch, type SeriesEntry } from "../wal/index.js";
import type { Head } from "./head.js";
import { sameBitsAt } from "./ooo-buffer.js";

/** A series touched by the batch. */
interface Pending {
  readonly labels: Labels;
  /** The head's ref; -1 for a series the head does not have yet (admitted, created at commit). */
  ref: number;
  /** Newest timestamp of the series, committed or in this batch, ms. */
  lastT: number;
  /** Index in the batch of the sample at {@link lastT}, or -1 when it is the head's. */
  lastIdx: number;
  /** Position in the appender's list; the batch's `refs` column holds it until commit. */
  readonly index: number;
}

/**
 * A batch of writes to one {@link Head}. `append` checks each sample against the head's committed
 * state and the batch (newer → kept; same timestamp and bits → ignored; same timestamp, other bits →
 * `duplicate_different_value`; older within the out-of-order window → kept for the out-of-order
 * buffer; older still → `out_of_order`) and admits new series through the tenant's series limiter.
 * A late sample is checked against the window only, not against the samples already stored at its
 * timestamp: see {@link Head} for what happens to it then.
 * `commit` logs a SERIES record for the new series and one SAMPLES record for the batch, waits for the
 * WAL to make them durable, and only then applies them to the head, so nothing is visible before it
 * is durable.
 *
 * Concurrent appenders on one head are safe: series are created and records logged in one
 * synchronous step, and batches are applied in log order, which replay repeats. A sample that was
 * valid when appended but is not any more when its batch is applied (another batch committed a newer
 * or conflicting sample of the series meanwhile) is dropped by the same rules and counted in
 * {@link Head.dropped}; its commit still succeeds. Not safe for concurrent use itself.
 */
export class HeadAppender implements Appender {
  readonly #pending = new Map<string, Pending>();
  readonly #list: Pending[] = [];
  readonly #batch = new SampleBatch(64);
  #admitted: Labels[] = [];
  #done = false;

  constructor(private readonly head: Head) {}

  append(labels: Labels, t: number, v: number): void {
    if (this.#done) throw new Error("HeadAppender: append after commit or rollback");
    if (!Number.isSafeInteger(t))
      throw new RangeError(`sample timestamp ${t} is not an integer number of ms`);
    const head = this.head;
    const key = labels.key();
    let p = this.#pending.get(key);
    if (p === undefined) {
      const ref = head.refOf(labels);
      if (ref < 0) {
        head.admit(labels);
        this.#admitted.push(labels);
      }
      p = {
        labels,
        ref,
        lastT: ref < 0 ? Number.NEGATIVE_INFINITY : head.lastT(ref),
        lastIdx: -1,
        index: this.#list.length,
      };
      this.#pending.set(key, p);
      this.#list.push(p);
    }
    // The value goes into the batch first so that its bits are compared inside typed arrays.
    const b = this.#batch;
    b.push(p.index, t, v);
    const i = b.length - 1;
    if (t > p.lastT) {
      p.lastT = t;
      p.lastIdx = i;
      return;
    }
    if (t === p.lastT) {
      const same =
        p.lastIdx >= 0
          ? sameBitsAt(b.values, p.lastIdx, b.values, i)
          : head.sameLastValue(p.ref, b.values, i);
      b.length = i;
      if (same) return;
      throw new AppendError(
        "duplicate_different_value",
        `duplicate sample for timestamp ${t} with a different value in series ${labels.toString()}`,
      );
    }
    if (p.lastT - t <= head.outOfOrderWindowMs) return;
    b.length = i;
    throw new AppendError(
      "out_of_order",
      `out of order sample: timestamp ${t} is ${p.lastT - t} ms older than the newest sample (${p.lastT}) ` +
        `of series ${labels.toString()}, beyond the out-of-order window of ${head.outOfOrderWindowMs} ms; ` +
        `raise ${head.outOfOrderSetting} to accept later samples`,
    );
  }

  async commit(): Promise<void> {
    if (this.#done) throw new Error("HeadAppender: commit after commit or rollback");
    this.#done = true;
    const head = this.head;
    let wal: Awaited<ReturnType<Head["wal"]>>;
    try {
      wal = await head.wal();
    } catch (err) {
      this.#releaseAdmitted();
      throw err;
    }
    // From here to wal.log() all is synchronous: series refs are handed out in log order.
    const created: SeriesEntry[] = [];
    for (const p of this.#list) {
      if (p.ref >= 0) continue;
      const existing = head.refOf(p.labels);
      if (existing >= 0) {
        // A concurrent batch created it first; it was counted then.
        head.release(p.labels);
        p.ref = existing;
      } else {
        p.ref = head.createSeries(p.labels);
        created.push({ ref: p.ref, labels: p.labels });
      }
    }
    this.#admitted = [];
    const batch = this.#batch;
    if (batch.length === 0 && created.length === 0) return;
    const refs = batch.refs;
    for (let i = 0; i < batch.length; i++) refs[i] = this.#list[refs[i]!]!.ref;
    await wal.log(encodeRecords(created, batch));
    head.apply(batch);
  }

  rollback(): void {
    if (this.#done) return;
    this.#done = true;
    this.#releaseAdmitted();
  }

  #releaseAdmitted(): void {
    for (const labels of this.#admitted) this.head.release(labels);
    this.#admitted = [];
  }
}

/** Series per SERIES record: even at the label limits' maxima (~120 KiB a series) a record stays below 256 MiB. */
const SERIES_PER_RECORD = 1000;
/** Samples per SAMPLES record: at most ~28 bytes each, so a record stays far below 256 MiB. */
const SAMPLES_PER_RECORD = 1 << 20;

/**
 * The records of a commit: SERIES records for `created`, then SAMPLES records for `batch`, split so
 * that no record passes the WAL's size limit (all are logged in one `log` call, so still atomically
 * ordered; a crash may keep a prefix of a huge commit, which was not acknowledged).
 */
function encodeRecords(created: readonly SeriesEntry[], batch: SampleBatch): Uint8Array[] {
  const records: Uint8Array[] = [];
  for (let i = 0; i < created.length; i += SERIES_PER_RECORD) {
    records.push(encodeSeries(created.slice(i, i + SERIES_PER_RECORD), new RecordBuffer(256)));
  }
  for (let i = 0; i < batch.length; i += SAMPLES_PER_RECORD) {
    const end = Math.min(batch.length, i + SAMPLES_PER_RECORD);
    const part = {
      length: end - i,
      refs: batch.refs.subarray(i, end),
      ts: batch.ts.subarray(i, end),
      values: batch.values.subarray(i, end),
    };
    records.push(encodeSamples(part, new RecordBuffer(16 + part.length * 12)));
  }
  return records;
}
