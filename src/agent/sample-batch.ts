import type { Labels } from "../model/labels.js";

/**
 * Samples on their way from collection to the seed: one scrape's (or collector's) output, every
 * series with its final labels. Values live in a `Float64Array` so that stale-marker NaN payloads
 * survive bit for bit.
 */
export interface SampleBatch {
  readonly length: number;
  readonly labels: readonly Labels[];
  /** Unix ms per sample. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /**
   * The producer, the same object for all its batches (a scrape loop's builder): an encoder may
   * keep per source what repeats from batch to batch, such as the encoding of the same label sets
   * in the same order. Absent for one-off batches.
   */
  readonly source?: object;
}

/** Takes batches for delivery; must not keep a reference to the arrays' later contents (they may be reused). */
export type BatchSink = (batch: SampleBatch) => void;
