import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import type { Querier, SampleIterator, SelectHints } from "../../storage/interface.js";
import { collectSeries } from "../../storage/series-set.js";
import { XorChunkAppender } from "../chunk/index.js";
import type { BlockChunk, BlockSeries, BlockSource } from "./block-source.js";

/** Test helpers of the block layer: temporary directories, series made of samples, dumps by bits. */

const dirs: string[] = [];

/** A new temporary directory, removed after the test file. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mirador-block-"));
  dirs.push(d);
  return d;
}

afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The samples of one series: timestamps increasing, values in a Float64Array (NaN payloads survive there). */
export interface SampleSeries {
  readonly labels: Labels;
  readonly ts: readonly number[];
  readonly vs: Float64Array;
}

/** Label set shorthand. */
export const L = (rec: Record<string, string>): Labels => Labels.fromRecord(rec);

/** A matcher selecting every series with a metric name. */
export const ALL = [new Matcher("=~", "__name__", ".+")];

/** XOR chunks of `perChunk` samples each (the last may be shorter) over samples `[from, to)`. */
export function chunksOf(s: SampleSeries, perChunk = 120, from = 0, to = s.ts.length): BlockChunk[] {
  const out: BlockChunk[] = [];
  let app: XorChunkAppender | undefined;
  for (let i = from; i < to; i++) {
    if (app !== undefined && app.numSamples >= perChunk) {
      out.push({ minT: app.minT, maxT: app.maxT, bytes: app.bytes().slice() });
      app = undefined;
    }
    app ??= new XorChunkAppender();
    app.append(s.ts[i]!, s.vs[i]!);
  }
  if (app !== undefined) out.push({ minT: app.minT, maxT: app.maxT, bytes: app.bytes().slice() });
  return out;
}

/** A source over `series` (sorted by labels here), each cut into chunks of `perChunk` samples. */
export function sourceOf(series: readonly SampleSeries[], perChunk = 120): BlockSource {
  const sorted = [...series].sort((a, b) => Labels.compare(a.labels, b.labels));
  return {
    series: () => sorted.map((s): BlockSeries => ({ labels: s.labels, chunks: chunksOf(s, perChunk) })),
  };
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The 64 bits of a float. */
export function bitsOf(v: number): bigint {
  f64[0] = v;
  return u64[0]!;
}

/** The samples of an iterator as `[t, bits]`. */
export function drainBits(it: SampleIterator): [number, bigint][] {
  const out: [number, bigint][] = [];
  while (it.next()) out.push([it.t, bitsOf(it.v)]);
  return out;
}

/** Expected dump of sample series within `[mint, maxt]`: labels text and `[t, bits]`, sorted, empty ones dropped. */
export function expectedDump(
  series: readonly SampleSeries[],
  mint = Number.NEGATIVE_INFINITY,
  maxt = Number.POSITIVE_INFINITY,
): [string, [number, bigint][]][] {
  return [...series]
    .sort((a, b) => Labels.compare(a.labels, b.labels))
    .map((s): [string, [number, bigint][]] => {
      const samples: [number, bigint][] = [];
      for (let i = 0; i < s.ts.length; i++) {
        const t = s.ts[i]!;
        if (t >= mint && t <= maxt) samples.push([t, bitsOf(s.vs[i]!)]);
      }
      return [s.labels.toString(), samples];
    })
    .filter(([, samples]) => samples.length > 0);
}

/** Every selected series of a querier: labels text and `[t, bits]`; closes the querier. */
export async function dump(
  q: Querier,
  matchers: readonly Matcher[] = ALL,
  hints?: SelectHints,
): Promise<[string, [number, bigint][]][]> {
  try {
    const set = await q.select(matchers, hints);
    return collectSeries(set).map((s) => [s.labels.toString(), drainBits(s.iterator())]);
  } finally {
    q.close();
  }
}

/** A small deterministic PRNG (mulberry32): an integer in [0, n). */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
