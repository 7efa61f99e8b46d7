/**
 * The head's WAL checkpoint (`Head.truncate`; docs/format/wal.md, "Checkpoints"), and why it
 * loses nothing while commits go on:
 *
 * 1. The truncation raises the head's bound (`minValidTime`), trims and removes series and calls
 *    `wal.cut()`, all in one synchronous step.
 * 2. When the cut resolves, every batch logged before it has been applied (a batch is applied as
 *    soon as its log resolves, and the cut resolves after those logs, past a file creation) and no
 *    batch logged after it (its log resolves only after a write that starts later). The head's
 *    state at that moment is exactly the effect of the segments before the cut; the {@link HeadCut}
 *    records it in counts, and the checkpoint written from it replaces those segments. It covers
 *    every live series, those created since step 1 too: their SERIES records are logged after the
 *    cut, but a batch logged before it may already have put samples in them (see removed series
 *    below); replay meets their SERIES records twice, which is harmless.
 * 3. Every record logged after the cut stays in the segments replay reads after the checkpoint,
 *    so an acknowledged commit is either in the checkpoint's state or in those segments, never in
 *    neither, and never in both.
 *
 * Replay then repeats what the live head did with those records:
 *
 * - The bound: it rose before the cut, so every record after the cut was applied under it. A
 *   record after the cut can still hold samples older than the bound (appended before the
 *   truncation, logged after the cut): the live head dropped them, and replay, having read the
 *   bound from the checkpoint's TRUNCATION record first, drops them too.
 * - Removed series: a record after the cut can name a series the truncation removed (its commit
 *   looked the series up before). Live, such a sample goes to the series now carrying those
 *   labels, or brings the removed one back under its old ref. The checkpoint keeps the SERIES
 *   records of the removed series, and replay creates a checkpoint's series only with its first
 *   sample, so the removed ones are remembered as removed and treated as live did. (A series is
 *   created when its batch is logged but a batch applied when its log resolves, so replay can
 *   bring a removed series back where live had created a new one for the labels; replay then
 *   folds the new ref into the old one: the same samples under the same labels.) Older
 *   removals are forgotten at the cut, live and in the checkpoint alike: a sample for one of them
 *   (from a commit that held the ref across a whole truncation period) is dropped both ways.
 * - Late samples: the checkpoint holds the out-of-order buffers after the in-order samples, and
 *   replay puts a checkpoint's samples older than the series' newest into the buffer whatever the
 *   window, so the buffers come back as they were.
 */
import type { Labels } from "../../../model/labels.js";
import { XorChunkIterator } from "../chunk/index.js";
import {
  encodeSamples,
  encodeSeries,
  encodeTruncation,
  RecordBuffer,
  SampleBatch,
  type SeriesEntry,
} from "../wal/index.js";
import type { ColumnCounts } from "./series-columns.js";

/** Series per SERIES record of a checkpoint: a record stays far below the WAL's 256 MiB. */
const SERIES_PER_RECORD = 1000;
/** Samples per SAMPLES record of a checkpoint: about 1 MiB a record at ~18 bytes a sample. */
const SAMPLES_PER_RECORD = 1 << 16;

/** What the checkpoint writer reads of the head (the head implements it). */
export interface CheckpointHead {
  /** The labels of series `ref`; undefined when it is not alive. */
  labelsOf(ref: number): Labels | undefined;
  /**
   * Chunk `i` of series `ref`: its closed chunks first, oldest first, then its open chunk (a view,
   * valid until the next append to the series); undefined past the end.
   */
  chunkBytes(ref: number, i: number): Uint8Array | undefined;
}

/**
 * The head as it was when the WAL was cut — exactly the effect of the segments before the cut,
 * after the truncation — taken synchronously at the cut and cheap to take: per series only counts,
 * since closed chunks never change and the open chunk only grows (the samples it held at the cut
 * stay its first ones, even once it is closed). What a checkpoint written later must hold.
 */
export interface HeadCut extends ColumnCounts {
  /** The head's truncation bound, ms. */
  readonly mint: number;
  /**
   * Series removed by the truncation, ascending by ref, with their labels: records logged after the
   * cut may still name them (a commit already under way), so the checkpoint keeps their SERIES
   * records for replay to resolve those samples as the live head did.
   */
  readonly deadRefs: readonly number[];
  readonly deadLabels: readonly Labels[];
}

/**
 * The records of a checkpoint of `cut` (docs/format/wal.md, "Checkpoints"): a TRUNCATION record;
 * SERIES records for every series alive at the cut and every series just removed, ascending by
 * ref; then, series by series, SAMPLES records of its in-order samples followed by its out-of-order
 * ones (replay puts samples older than the series' newest into its out-of-order buffer whatever the
 * window, so the buffer comes back as it was). Records are produced one at a time into one
 * reused buffer; the head is read series by series while the checkpoint is written.
 */
export function* checkpointRecords(head: CheckpointHead, cut: HeadCut): Generator<Uint8Array> {
  const buf = new RecordBuffer(64 * 1024);
  yield encodeTruncation({ mint: cut.mint, refLimit: cut.refLimit }, buf);

  const series: SeriesEntry[] = [];
  let d = 0;
  const dead = cut.deadRefs;
  for (let ref = 0; ref < cut.refLimit; ref++) {
    let labels: Labels | undefined;
    if (d < dead.length && dead[d] === ref) labels = cut.deadLabels[d++];
    else if (cut.closed[ref]! >= 0) labels = aliveLabels(head, ref);
    if (labels === undefined) continue;
    series.push({ ref, labels });
    if (series.length === SERIES_PER_RECORD) {
      yield encodeSeries(series, buf);
      series.length = 0;
    }
  }
  if (series.length > 0) yield encodeSeries(series, buf);

  const batch = new SampleBatch(1024);
  const it = new XorChunkIterator();
  for (let ref = 0; ref < cut.refLimit; ref++) {
    const closed = cut.closed[ref]!;
    if (closed < 0) continue;
    const open = cut.openSamples[ref]!;
    for (let i = 0; i <= closed; i++) {
      const limit = i < closed ? Number.POSITIVE_INFINITY : open;
      if (limit === 0) break;
      const bytes = head.chunkBytes(ref, i);
      if (bytes === undefined)
        throw new Error(`checkpoint: series ${ref} lost chunk ${i} while it was written`);
      it.reset(bytes);
      for (let k = 0; k < limit && it.next(); k++) {
        batch.push(ref, it.t, it.v);
        if (batch.length === SAMPLES_PER_RECORD) {
          yield encodeSamples(batch, buf);
          batch.clear();
        }
      }
    }
    const late = cut.ooo.get(ref);
    if (late === undefined) continue;
    for (let k = 0; k < late.ts.length; k++) {
      // Through the typed arrays, so the value's bits are kept.
      batch.push(ref, late.ts[k]!, late.vs[k]!);
      if (batch.length === SAMPLES_PER_RECORD) {
        yield encodeSamples(batch, buf);
        batch.clear();
      }
    }
  }
  if (batch.length > 0) yield encodeSamples(batch, buf);
}

function aliveLabels(head: CheckpointHead, ref: number): Labels {
  const labels = head.labelsOf(ref);
  // Only a truncation removes series, and truncations wait for the checkpoint before them.
  if (labels === undefined) throw new Error(`checkpoint: series ${ref} was removed while it was written`);
  return labels;
}
