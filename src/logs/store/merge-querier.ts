import type { Matcher } from "../../model/matcher.js";
import type { LogDirection } from "./chunk.js";
import { streamKey } from "./log-head.js";
import type {
  LogQuerier,
  LogQueryEntry,
  LogStreamStats,
  LogTimeRange,
  SelectHint,
  StreamLabels,
} from "./querier.js";

/** A querier over nothing: a tenant that has never written. */
export const EMPTY_LOG_QUERIER: LogQuerier = {
  select: (): AsyncIterableIterator<LogQueryEntry> => (async function* () {})(),
  labelNames: async () => [],
  labelValues: async () => [],
  series: async () => [],
  stats: async () => [],
};

/**
 * Several queriers read as one (a multi-tenant read, `X-Scope-OrgID: a|b`). Labels stay as each
 * tenant stored them: no tenant label is added. `select` merges the sources' iterators by time in
 * the query direction (ties by stream selector text, as the head orders them, then source order, so `backward` is the reverse of
 * `forward`); label lists and series are the sorted, de-duplicated union.
 */
export class MergeLogQuerier implements LogQuerier {
  constructor(private readonly sources: readonly LogQuerier[]) {}

  select(
    matchers: readonly Matcher[],
    fromNs: bigint,
    toNs: bigint,
    direction: LogDirection,
    limit: number,
    hint?: SelectHint,
  ): AsyncIterableIterator<LogQueryEntry> {
    return mergeSelect(
      this.sources.map((q) => q.select(matchers, fromNs, toNs, direction, limit, hint)),
      direction,
      limit,
    );
  }

  async labelNames(matchers?: readonly Matcher[], range?: LogTimeRange): Promise<string[]> {
    return union(await Promise.all(this.sources.map((q) => q.labelNames(matchers, range))));
  }

  async labelValues(name: string, matchers?: readonly Matcher[], range?: LogTimeRange): Promise<string[]> {
    return union(await Promise.all(this.sources.map((q) => q.labelValues(name, matchers, range))));
  }

  async series(matchers: readonly Matcher[], range?: LogTimeRange): Promise<StreamLabels[]> {
    const byKey = new Map<string, StreamLabels>();
    for (const list of await Promise.all(this.sources.map((q) => q.series(matchers, range))))
      for (const s of list) byKey.set(streamKey(s), s);
    return [...byKey.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, s]) => s);
  }

  /** Each source's stats; a stream stored by several sources (same labels) is summed into one. */
  async stats(matchers: readonly Matcher[], fromNs: bigint, toNs: bigint): Promise<LogStreamStats[]> {
    const byKey = new Map<string, LogStreamStats>();
    for (const list of await Promise.all(this.sources.map((q) => q.stats(matchers, fromNs, toNs)))) {
      for (const s of list) {
        const key = streamKey(s.labels);
        const had = byKey.get(key);
        byKey.set(
          key,
          had === undefined
            ? s
            : {
                labels: s.labels,
                chunks: had.chunks + s.chunks,
                entries: had.entries + s.entries,
                bytes: had.bytes + s.bytes,
              },
        );
      }
    }
    return [...byKey.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, s]) => s);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function union(lists: readonly string[][]): string[] {
  return [...new Set(lists.flat())].sort(cmp);
}

interface Head {
  readonly it: AsyncIterableIterator<LogQueryEntry>;
  readonly order: number;
  readonly key: string;
  readonly cur: LogQueryEntry;
}

/**
 * K-way merge of per-source iterators that are each already in `direction` order. Few sources (one
 * per tenant of a request), so the next entry is found by a linear scan rather than a heap.
 */
async function* mergeSelect(
  iters: readonly AsyncIterableIterator<LogQueryEntry>[],
  direction: LogDirection,
  limit: number,
): AsyncGenerator<LogQueryEntry> {
  const sign = direction === "backward" ? -1 : 1;
  const heads: Head[] = [];
  const advance = async (it: AsyncIterableIterator<LogQueryEntry>, order: number): Promise<void> => {
    const next = await it.next();
    if (next.done !== true) heads.push({ it, order, key: streamKey(next.value.labels), cur: next.value });
  };
  try {
    await Promise.all(iters.map((it, i) => advance(it, i)));
    let emitted = 0;
    while (heads.length > 0 && emitted < limit) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) if (before(heads[i]!, heads[best]!, sign)) best = i;
      const h = heads[best]!;
      heads.splice(best, 1);
      yield h.cur;
      emitted++;
      await advance(h.it, h.order);
    }
  } finally {
    await Promise.all(iters.map((it) => it.return?.()));
  }
}

function before(a: Head, b: Head, sign: number): boolean {
  if (a.cur.tsNs !== b.cur.tsNs) return sign * (a.cur.tsNs < b.cur.tsNs ? -1 : 1) < 0;
  const k = cmp(a.key, b.key);
  if (k !== 0) return sign * k < 0;
  return sign * (a.order - b.order) < 0;
}
