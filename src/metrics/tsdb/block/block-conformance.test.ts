import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Ctx } from "../../../model/context.js";
import { newCtx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import type { Appendable, Appender, Querier, Queryable } from "../../storage/interface.js";
import { MergeQuerier } from "../../storage/merge-querier.js";
import { runStorageConformance } from "../../storage/storage-conformance.testlib.js";
import { ALL, chunksOf, dump, L, type SampleSeries, tempDir } from "./block.testlib.js";
import { BlockSet } from "./block-set.js";
import { BlockSetQuerier } from "./block-set-querier.js";
import { writeBlock } from "./block-writer.js";

/** One series' buffered samples; values in a Float64Array so that NaN payloads survive. */
class Buffered {
  ts: number[] = [];
  vs = new Float64Array(8);
  constructor(readonly labels: Labels) {}
  push(t: number, v: number): void {
    if (this.ts.length === this.vs.length) {
      const grown = new Float64Array(this.vs.length * 2);
      grown.set(this.vs);
      this.vs = grown;
    }
    this.vs[this.ts.length] = v;
    this.ts.push(t);
  }
  /** Sorted by time, one sample per timestamp (the last appended wins). */
  sorted(): SampleSeries {
    const order = this.ts.map((_, i) => i).sort((a, b) => this.ts[a]! - this.ts[b]! || b - a);
    const ts: number[] = [];
    const vs: number[] = [];
    for (const i of order) {
      if (ts.at(-1) === this.ts[i]) continue;
      ts.push(this.ts[i]!);
      vs.push(i);
    }
    return { labels: this.labels, ts, vs: Float64Array.from(vs, (i) => this.vs[i]!) };
  }
}

/**
 * The block layer as a store, for the conformance suite: one {@link BlockSet} per tenant; an
 * appender buffers its samples and its commit writes them as one new block. Every commit is a
 * block, so reads exercise the block set's merge of overlapping blocks.
 */
class BlockStore implements Appendable, Queryable {
  readonly sets = new Map<string, BlockSet>();

  constructor(readonly root: string) {}

  appender(ctx: Ctx): Appender {
    const tenant = ctx.tenants[0]!;
    const buf = new Map<string, Buffered>();
    return {
      append: (labels, t, v) => {
        let b = buf.get(labels.key());
        if (b === undefined) {
          b = new Buffered(labels);
          buf.set(labels.key(), b);
        }
        b.push(t, v);
      },
      commit: async () => {
        const series = [...buf.values()]
          .map((b) => b.sorted())
          .sort((a, b) => Labels.compare(a.labels, b.labels));
        buf.clear();
        if (series.length === 0) return;
        const minTime = Math.min(...series.map((s) => s.ts[0]!));
        const maxTime = Math.max(...series.map((s) => s.ts.at(-1)!)) + 1;
        const dir = join(this.root, encodeURIComponent(tenant));
        const source = { series: () => series.map((s) => ({ labels: s.labels, chunks: chunksOf(s) })) };
        const meta = await writeBlock(dir, source, { minTime, maxTime, syncMode: "never" });
        let set = this.sets.get(tenant);
        if (set === undefined) {
          set = await BlockSet.open(dir, { syncMode: "never" });
          this.sets.set(tenant, set);
        } else {
          await set.add(meta!);
        }
      },
      rollback: () => buf.clear(),
    };
  }

  querier(ctx: Ctx, mint: number, maxt: number): Querier {
    const qs = ctx.tenants.map((t) => this.sets.get(t)?.querier(mint, maxt) ?? new BlockSetQuerier([]));
    return qs.length === 1 ? qs[0]! : new MergeQuerier(qs);
  }
}

const stores: BlockStore[] = [];
afterAll(async () => {
  for (const s of stores) for (const set of s.sets.values()) await set.close();
});

async function newStore(): Promise<BlockStore> {
  const s = new BlockStore(await tempDir());
  stores.push(s);
  return s;
}

runStorageConformance("tsdb blocks", newStore, {
  "refuses out-of-order and conflicting duplicates, keeps identical duplicates idempotent":
    "append-time checks are the head's; blocks are written from samples it already accepted",
});

describe("the conformance adapter's own check", () => {
  it("an identical duplicate written in two blocks reads once", async () => {
    const store = await newStore();
    const ctx = newCtx(["t"]);
    for (const rows of [
      [[2000, 1]],
      [
        [2000, 1],
        [3000, 2],
      ],
    ]) {
      const app = store.appender(ctx);
      for (const [t, v] of rows) app.append(L({ __name__: "m" }), t!, v!);
      await app.commit();
    }
    expect(store.sets.get("t")!.blocks).toHaveLength(2);
    const got = await dump(store.querier(ctx, 0, 1e15), ALL);
    expect(got.map(([l, s]) => [l, s.map(([t]) => t)])).toEqual([["m", [2000, 3000]]]);
  });
});
