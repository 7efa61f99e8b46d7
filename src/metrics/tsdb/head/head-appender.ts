import { hashLabels } from "../../../model/label-hash.js";
import type { Labels } from "../../../model/labels.js";
import { AppendError, type HandleAppender, type LabelView } from "../../storage/interface.js";
import {
  encodeSamples,
  encodeSeries,
  RecordBuffer,
  type SampleBatch,
  type SeriesEntry,
} from "../wal/index.js";
import type { AppendScratch } from "./append-scratch.js";
import type { Head } from "./head.js";
import { sameBitsAt } from "./ooo-buffer.js";

/**
 * A batch of writes to one {@link Head}. Each series the batch touches gets a handle, and the state
 * of each handle lives in columns indexed by it: the head's ref (-1 for a series the head does not
 * have yet: admitted now, created at commit), the newest timestamp of the series, committed or in
 * this batch, and the index in the batch of the sample at that timestamp (-1 when it is the head's).
 * The batch's `refs` column holds handles until commit.
 *
 * `append` checks each sample against the head's committed state and the batch (newer → kept; same
 * timestamp and bits → ignored; same timestamp, other bits → `duplicate_different_value`; older
 * within the out-of-order window → kept for the out-of-order buffer; older still → `out_of_order`)
 * and admits new series through the tenant's series limiter. A late sample is checked against the
 * window only, not against the samples already stored at its timestamp: see {@link Head} for what
 * happens to it then. The hot path ({@link handle}, {@link appendAt}) finds existing series from the
 * raw label bytes and builds no string for them.
 *
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
export class HeadAppender implements HandleAppender {
  #handles = 0;
  /** Columns per handle, the batch and its record buffer: the head's pooled memory, until done. */
  readonly #s: AppendScratch;
  /** Labels of the handles whose series is new (ref -1); the head holds the others'. */
  readonly #newLabels: (Labels | undefined)[] = [];
  /** Their `hashLabels`, when known from the wire (else computed at commit). */
  readonly #newHashes: (number | undefined)[] = [];
  /** The bytes their labels came as on the wire, when known (see `Head.refOfView`). */
  readonly #newWire: (Uint8Array | undefined)[] = [];
  /** `Labels.key()` → handle, for series named by their labels (the generic path) or new. */
  readonly #byKey = new Map<string, number>();
  /** Oldest timestamp in the batch (the head tracks it until the batch is applied). */
  #minT = Number.POSITIVE_INFINITY;
  #done = false;

  constructor(private readonly head: Head) {
    this.#s = head.scratch.acquire();
  }

  append(labels: Labels, t: number, v: number): void {
    this.#open();
    const key = labels.key();
    let h = this.#byKey.get(key);
    if (h === undefined) {
      const ref = this.head.refOf(labels);
      h = ref >= 0 ? this.#handleOfRef(ref) : this.#newHandle(labels, undefined);
      this.#byKey.set(key, h);
    }
    const b = this.#s.batch;
    b.push(h, t, v);
    this.#check(h, b.length - 1);
  }

  handle(view: LabelView, checkNew: (labels: Labels) => string | undefined): number {
    this.#open();
    const ref = this.head.refOfView(view);
    if (ref >= 0) return this.#handleOfRef(ref);
    const labels = view.toLabels();
    const known = this.#byKey.get(labels.key());
    if (known !== undefined) return known;
    const problem = checkNew(labels);
    if (problem !== undefined) throw new AppendError("limit", problem);
    const h = this.#newHandle(labels, view.hash);
    this.#byKey.set(labels.key(), h);
    if (view.wireStart >= 0) this.#newWire[h] = view.wireBuffer.slice(view.wireStart, view.wireEnd);
    return h;
  }

  appendAt(handle: number, t: number, values: Float64Array, i: number): void {
    this.#open();
    if (!(handle >= 0 && handle < this.#handles)) throw new RangeError(`no series handle ${handle}`);
    const b = this.#s.batch;
    b.push(handle, t, values[i]!);
    this.#check(handle, b.length - 1);
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
      this.#finish();
      throw err;
    }
    // From here to wal.log() all is synchronous: series refs are handed out in log order.
    const created: SeriesEntry[] = [];
    const refOf = this.#s.ref;
    for (let h = 0; h < this.#handles; h++) {
      if (refOf[h]! >= 0) continue;
      const labels = this.#newLabels[h]!;
      const hash = this.#newHashes[h] ?? hashLabels(labels);
      const existing = head.refOf(labels, hash);
      if (existing >= 0) {
        // A concurrent batch created it first; it was counted then.
        head.release(labels);
        refOf[h] = existing;
      } else {
        refOf[h] = head.createSeries(labels, hash);
        const wire = this.#newWire[h];
        if (wire !== undefined) head.rememberWire(refOf[h]!, wire);
        created.push({ ref: refOf[h]!, labels });
      }
    }
    const batch = this.#s.batch;
    if (batch.length === 0 && created.length === 0) {
      this.#finish();
      return;
    }
    const refs = batch.refs;
    for (let i = 0; i < batch.length; i++) refs[i] = refOf[refs[i]!]!;
    try {
      await wal.log(encodeRecords(created, batch, this.#s.record));
      head.apply(batch);
    } finally {
      this.#finish();
    }
  }

  rollback(): void {
    if (this.#done) return;
    this.#done = true;
    this.#releaseAdmitted();
    this.#finish();
  }

  /** The batch is applied or dropped: the head stops tracking it and takes the scratch back. */
  #finish(): void {
    this.head.untrack(this);
    this.head.scratch.release(this.#s);
  }

  #open(): void {
    if (this.#done) throw new Error("HeadAppender: append after commit or rollback");
  }

  #handleOfRef(ref: number): number {
    let h = this.#s.handleOf(ref);
    if (h < 0) {
      h = this.#add(ref, this.head.lastT(ref));
      this.#s.setHandle(ref, h);
    }
    return h;
  }

  /** A handle for a series the head does not hold: admitted now (throws AppendError if refused). */
  #newHandle(labels: Labels, hash: number | undefined): number {
    this.head.admit(labels);
    const h = this.#add(-1, Number.NEGATIVE_INFINITY);
    this.#newLabels[h] = labels;
    this.#newHashes[h] = hash;
    return h;
  }

  #add(ref: number, lastT: number): number {
    const h = this.#handles++;
    this.#s.reserve(h);
    this.#s.ref[h] = ref;
    this.#s.lastT[h] = lastT;
    this.#s.lastIdx[h] = -1;
    return h;
  }

  /** Checks the sample just pushed at batch index `i` for series `h`; takes it out and throws if refused. */
  #check(h: number, i: number): void {
    const b = this.#s.batch;
    const t = b.ts[i]!;
    if (!Number.isSafeInteger(t)) {
      b.length = i;
      throw new RangeError(`sample timestamp ${t} is not an integer number of ms`);
    }
    const head = this.head;
    const bound = head.appendableMinTime;
    if (t < bound) {
      b.length = i;
      throw new AppendError(
        "too_old",
        `sample timestamp ${t} is older than ${bound}, before which this tenant's data has been written ` +
          `to blocks (series ${this.#labelsOf(h).toString()}); such samples are refused`,
      );
    }
    if (t < this.#minT) {
      this.#minT = t;
      head.track(this, t);
    }
    const lastT = this.#s.lastT[h]!;
    if (t > lastT) {
      this.#s.lastT[h] = t;
      this.#s.lastIdx[h] = i;
      return;
    }
    if (t === lastT) {
      const at = this.#s.lastIdx[h]!;
      const same =
        at >= 0
          ? sameBitsAt(b.values, at, b.values, i)
          : this.head.sameLastValue(this.#s.ref[h]!, b.values, i);
      b.length = i;
      if (same) return;
      throw new AppendError(
        "duplicate_different_value",
        `duplicate sample for timestamp ${t} with a different value in series ${this.#labelsOf(h).toString()}`,
      );
    }
    if (lastT - t <= head.outOfOrderWindowMs) return;
    b.length = i;
    throw new AppendError(
      "out_of_order",
      `out of order sample: timestamp ${t} is ${lastT - t} ms older than the newest sample (${lastT}) ` +
        `of series ${this.#labelsOf(h).toString()}, beyond the out-of-order window of ${head.outOfOrderWindowMs} ms; ` +
        `raise ${head.outOfOrderSetting} to accept later samples`,
    );
  }

  #labelsOf(h: number): Labels {
    return this.#newLabels[h] ?? this.head.labelsOf(this.#s.ref[h]!)!;
  }

  #releaseAdmitted(): void {
    for (let h = 0; h < this.#handles; h++) {
      const labels = this.#newLabels[h];
      if (this.#s.ref[h] === -1 && labels !== undefined) this.head.release(labels);
    }
    this.#newLabels.length = 0;
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
function encodeRecords(
  created: readonly SeriesEntry[],
  batch: SampleBatch,
  buffer: RecordBuffer,
): Uint8Array[] {
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
    // The first record goes into the appender's reused buffer (one record nearly always).
    records.push(encodeSamples(part, i === 0 ? buffer : new RecordBuffer(16 + part.length * 12)));
  }
  return records;
}
