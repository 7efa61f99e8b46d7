import type { Labels } from "../../model/labels.js";
import type { TimeSeriesV1, WriteRequestV1 } from "../../wire/remote-write/v1.js";

/**
 * Groups samples into a remote-write 1.0 request, one time series per label set with its samples in
 * the order given.
 */
export class BatchBuilder {
  readonly #series = new Map<string, TimeSeriesV1>();

  /** Adds one sample. */
  add(labels: Labels, t: number, v: number): void {
    const key = labels.key();
    let ts = this.#series.get(key);
    if (!ts) {
      const pairs = labels.pairs;
      const ls: { name: string; value: string }[] = [];
      for (let i = 0; i < pairs.length; i += 2) ls.push({ name: pairs[i]!, value: pairs[i + 1]! });
      ts = { labels: ls, samples: [], exemplars: [], histogramCount: 0 };
      this.#series.set(key, ts);
    }
    ts.samples.push({ value: v, timestamp: t });
  }

  /** The request holding everything added. */
  build(): WriteRequestV1 {
    return { timeseries: [...this.#series.values()], metadata: [] };
  }
}
