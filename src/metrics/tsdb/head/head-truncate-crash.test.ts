import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Matcher } from "../../../model/matcher.js";
import { runAndKill } from "../../../test-support/crash-child.js";
import { transpileTree } from "../../../test-support/transpile-tree.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import { collectSeries } from "../../storage/series-set.js";
import { Head } from "./head.js";
import { HeadQuerier } from "./head-querier.js";

/**
 * Truncation and checkpoints under `kill -9`: a child process (testdata/truncate-crash-child.mjs)
 * writes to one Head with real fdatasyncs — several writers, small WAL segments — while a truncator
 * keeps the head three block ranges long, each truncation cutting the WAL, writing a checkpoint and
 * deleting old segments (the shared series gets mostly late samples, so out-of-order buffers go
 * through checkpoints too); it is SIGKILLed at a random moment, several times over one directory.
 * After each kill the head is opened here: its truncation bound comes back from the checkpoint,
 * and every sample of an acknowledged commit at or after that bound must be there, bit for bit;
 * every visible commit must be whole from the bound on, and nothing older than the bound is held.
 */

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, "../../..");
const ROUNDS = 4;
/** Must match truncate-crash-child.mjs. */
const STEP = 100;
const BLOCK = 1000;

let work: string;
let headUrl: string;

/** The number of samples of commit `id`'s crash series; must match truncate-crash-child.mjs. */
function sampleCount(id: number): number {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 500 + (h % 500) : 1 + (h % 50);
}

/** The timestamp of commit `id`'s ticker sample, often late; must match truncate-crash-child.mjs. */
function tick(id: number): number {
  return id * STEP - (id % 5) * 150;
}

/** The bits of sample `i` of commit `id`. */
function bitsOf(id: number, i: number): bigint {
  return i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
}

/** Opens the head and checks it; returns the truncation bound and the ids whose commits are visible. */
async function openAndCheck(
  dir: string,
  acked: readonly number[],
): Promise<{ bound: number; seen: Set<number> }> {
  const limiter = new SeriesLimiter("t", new TenantLimits({ ...DEFAULT_LIMITS, max_active_series: 0 }));
  const head = await Head.open(dir, {
    limiter,
    outOfOrderWindowMs: 1e12,
    syncMode: "never",
    blockDurationMs: BLOCK,
  });
  const bound = head.minValidTime;
  const seen = new Set<number>();
  const f = new Float64Array(1);
  const bits = new BigUint64Array(f.buffer);
  try {
    const q = new HeadQuerier(head, -1e15, 1e15);
    const ticks = new Map<number, number>();
    for (const s of collectSeries(await q.select([new Matcher("=", "__name__", "ticker")]))) {
      const it = s.iterator();
      while (it.next()) ticks.set(it.t, it.v);
    }
    for (const s of collectSeries(await q.select([new Matcher("=", "__name__", "crash")]))) {
      const id = Number(s.labels.get("id"));
      const n = sampleCount(id);
      const it = s.iterator();
      // The commit from the bound on: its first sample there, then every later one.
      let i = Math.max(0, bound - id * STEP);
      for (; it.next(); i++) {
        f[0] = it.v;
        if (it.t !== id * STEP + i || bits[0] !== bitsOf(id, i)) {
          throw new Error(`id ${id}: sample at ${it.t} is not sample ${i} (bound ${bound})`);
        }
      }
      expect(i, `id ${id} is not whole from the bound ${bound} on`).toBe(n);
      seen.add(id);
    }
    for (const t of ticks.keys()) expect(t).toBeGreaterThanOrEqual(bound);
    for (const id of acked) {
      if (id * STEP + sampleCount(id) - 1 >= bound) {
        expect(seen.has(id), `id ${id}: acknowledged, has samples ≥ ${bound}, not replayed`).toBe(true);
      }
      if (tick(id) >= bound) expect(ticks.get(tick(id)), `id ${id}: its ticker sample is missing`).toBe(id);
    }
  } finally {
    await head.close();
  }
  return { bound, seen };
}

describe("Head truncation under kill -9", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-head-trunc-crash-"));
    await transpileTree(join(here, "index.ts"), join(work, "build"), srcRoot);
    headUrl = pathToFileURL(join(work, "build", relative(srcRoot, join(here, "index.js")))).href;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("loses no acknowledged sample at or after the truncation bound across repeated SIGKILLs", async () => {
    const dir = join(work, "data");
    const allAcked: number[] = [];
    let truncated = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const script = join(here, "testdata", "truncate-crash-child.mjs");
      const acked = await runAndKill(script, [headUrl, dir, String(round * 1_000_000)], 150 + round * 50);
      allAcked.push(...acked);
      const { bound } = await openAndCheck(dir, allAcked);
      if (bound > Number.NEGATIVE_INFINITY) truncated++;
    }
    expect(allAcked.length).toBeGreaterThan(0);
    // The bound came back from a checkpoint, and the replaced segments are gone.
    expect(truncated).toBeGreaterThan(0);
    const names = await readdir(join(dir, "wal"));
    expect(names.some((n) => n.startsWith("checkpoint."))).toBe(true);
    console.info(
      `head truncation crash test: ${ROUNDS} SIGKILLs, ${allAcked.length} acknowledged commits, ` +
        `${truncated} rounds restarted from a checkpoint`,
    );
  }, 60_000);
});
