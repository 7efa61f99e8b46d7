import type { LogDirection, LogEntry } from "./chunk.js";
import { lowerBound } from "./head-stream.js";
import type { LogQueryEntry } from "./querier.js";
import type { ChunkRef, StreamSource } from "./stream-source.js";

/**
 * The merge behind `LogQuerier.select`: one source per chunk and per open buffer of every selected
 * stream source (of the head and of blocks), merged with a binary heap by (timestamp, stream key,
 * source order — the order the stream sources and their chunks are given in); backward reverses
 * every key, so it is the exact reverse of forward. The set of chunks and the open buffers' entries
 * in range are taken when the merge is built (a snapshot); chunks decode block by block as the
 * caller pulls.
 */

interface Source {
  readonly it: Iterator<LogEntry>;
  readonly stream: StreamSource;
  /** Position of the source among all sources: stream sources in the order given, chunks in cut order, then the open buffer. */
  readonly order: number;
  cur: LogEntry;
}

function* sliceIter(entries: readonly LogEntry[], backward: boolean): Generator<LogEntry> {
  if (backward) for (let i = entries.length - 1; i >= 0; i--) yield entries[i]!;
  else yield* entries;
}

/**
 * Builds the merge of `streams` over `[fromNs, toNs)`; at most `limit` entries; with `contains`, only
 * lines containing every one of those strings.
 */
export function mergeStreams(
  streams: readonly StreamSource[],
  fromNs: bigint,
  toNs: bigint,
  direction: LogDirection,
  limit: number,
  contains?: readonly string[],
): Generator<LogQueryEntry> {
  const iters: { it: Iterator<LogEntry>; stream: StreamSource; order: number }[] = [];
  if (!(limit > 0) || fromNs >= toNs) return merge(iters, direction, limit);
  const backward = direction === "backward";
  let order = 0;
  for (const s of streams) {
    for (const c of s.chunks) {
      if (c.entryCount > 0 && c.maxTs >= fromNs && c.minTs < toNs && mayHold(c, contains)) {
        iters.push({ it: c.entries(fromNs, toNs, direction, contains), stream: s, order });
      }
      order++;
    }
    const lo = lowerBound(s.open, fromNs);
    const hi = lowerBound(s.open, toNs);
    let open = s.open.slice(lo, hi);
    if (contains !== undefined && contains.length > 0)
      open = open.filter((e) => contains.every((c) => e.line.includes(c)));
    if (open.length > 0) iters.push({ it: sliceIter(open, backward), stream: s, order });
    order++;
  }
  return merge(iters, direction, limit);
}

/** Whether a chunk's filter (if any) lets every needle through. */
function mayHold(c: ChunkRef, contains: readonly string[] | undefined): boolean {
  if (contains === undefined || c.filter === undefined) return true;
  for (const needle of contains) if (!c.filter.mayContain(needle)) return false;
  return true;
}

function* merge(
  iters: readonly { it: Iterator<LogEntry>; stream: StreamSource; order: number }[],
  direction: LogDirection,
  limit: number,
): Generator<LogQueryEntry> {
  const backward = direction === "backward";
  const sign = backward ? -1 : 1;
  const less = (a: Source, b: Source): boolean => {
    if (a.cur.tsNs !== b.cur.tsNs) return a.cur.tsNs < b.cur.tsNs === !backward;
    if (a.stream.key !== b.stream.key) return (a.stream.key < b.stream.key ? -1 : 1) * sign < 0;
    return (a.order - b.order) * sign < 0;
  };
  const heap: Source[] = [];
  const up = (i: number): void => {
    const x = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(x, heap[p]!)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = x;
  };
  const down = (i: number): void => {
    const x = heap[i]!;
    const n = heap.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(heap[c + 1]!, heap[c]!)) c++;
      if (!less(heap[c]!, x)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = x;
  };
  for (const s of iters) {
    const r = s.it.next();
    if (r.done) continue;
    heap.push({ ...s, cur: r.value });
    up(heap.length - 1);
  }
  let emitted = 0;
  while (heap.length > 0) {
    const top = heap[0]!;
    const e = top.cur;
    yield { labels: top.stream.labels, tsNs: e.tsNs, line: e.line, metadata: e.metadata };
    if (++emitted >= limit) return;
    const r = top.it.next();
    if (r.done) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    } else {
      top.cur = r.value;
      down(0);
    }
  }
}
