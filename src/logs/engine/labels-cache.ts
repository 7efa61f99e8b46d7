import { Labels } from "../../model/labels.js";
import { Matcher } from "../../model/matcher.js";
import type { LabelMatcher } from "../logql/index.js";
import type { StreamLabels } from "../store/querier.js";

/**
 * Turns a querier's stream label pairs into {@link Labels}, once per stream: the querier shares one
 * array per stream, so the array identity is the cache key.
 */
export class StreamLabelsCache {
  readonly #cache = new WeakMap<StreamLabels, Labels>();

  /** The labels of `pairs`. */
  get(pairs: StreamLabels): Labels {
    let l = this.#cache.get(pairs);
    if (l === undefined) {
      const flat: string[] = [];
      for (const [n, v] of pairs) flat.push(n, v);
      l = Labels.fromPairs(flat);
      this.#cache.set(pairs, l);
    }
    return l;
  }
}

/** The model matchers of a stream selector. */
export function toMatchers(ms: readonly LabelMatcher[]): Matcher[] {
  return ms.map((m) => new Matcher(m.op, m.name, m.value));
}

/** Throws the signal's reason when it is aborted. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error("query aborted");
}
