import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newCtx } from "../../../model/context.js";
import { Matcher } from "../../../model/matcher.js";
import { runAndKill as runAndKillChild } from "../../../test-support/crash-child.js";
import { transpileTree } from "../../../test-support/transpile-tree.js";
import { collectSeries } from "../../storage/series-set.js";
import { TSDB } from "../tsdb.js";

/**
 * The head under `kill -9`: a child process (testdata/crash-child.mjs) writes to the TSDB with
 * real fdatasyncs — several writers, three tenants, small WAL segments — and is killed with SIGKILL
 * at a random moment, several times over one data directory. After each kill the storage is opened
 * here (replaying every tenant's WAL) and every commit the child acknowledged must be readable,
 * bit for bit; every commit that is visible must be whole (a commit is atomic); and the next child
 * must replay and carry on writing to the same series.
 *
 * Plain `node` cannot load TypeScript on Node 20, so the head's sources and what they import are
 * transpiled first, as the WAL's crash test does.
 */

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, "../../..");
const ROUNDS = 5;

let work: string;
let headUrl: string;

/** The number of samples of commit `id`'s crash series; must match crash-child.mjs. */
function sampleCount(id: number): number {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 1000 + (h % 1000) : 1 + (h % 100);
}

/** Runs the child until it is ready and has run for `runMs`, then SIGKILLs it; returns the acked ids. */
async function runAndKill(dir: string, firstId: number, runMs: number): Promise<number[]> {
  return runAndKillChild(join(here, "testdata", "crash-child.mjs"), [headUrl, dir, String(firstId)], runMs);
}

/** Opens the storage and checks it: returns the ids whose commits are visible, all whole and exact. */
async function openAndCheck(dir: string): Promise<Set<number>> {
  const store = await TSDB.open(dir, { syncMode: "never" });
  const seen = new Set<number>();
  const f = new Float64Array(1);
  const bits = new BigUint64Array(f.buffer);
  try {
    for (const tenant of ["t0", "t1", "t2"]) {
      const q = store.querier(newCtx([tenant]), -1e15, 1e15);
      const ticks = new Set<number>();
      for (const s of collectSeries(await q.select([new Matcher("=", "__name__", "ticker")]))) {
        const it = s.iterator();
        while (it.next()) ticks.add(it.t);
      }
      for (const s of collectSeries(await q.select([new Matcher("=", "__name__", "crash")]))) {
        const id = Number(s.labels.get("id"));
        expect(`t${id % 3}`).toBe(tenant);
        const it = s.iterator();
        let i = 0;
        for (; it.next(); i++) {
          f[0] = it.v;
          const want = i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
          if (it.t !== i || bits[0] !== want) throw new Error(`id ${id}: sample ${i} is damaged`);
        }
        expect(i, `id ${id} is not whole`).toBe(sampleCount(id));
        expect(ticks.has(id), `id ${id}: its ticker sample is missing`).toBe(true);
        seen.add(id);
      }
      q.close();
    }
  } finally {
    await store.close();
  }
  return seen;
}

describe("the TSDB under kill -9", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-head-crash-"));
    await transpileTree(join(here, "../tsdb.ts"), join(work, "build"), srcRoot);
    headUrl = pathToFileURL(join(work, "build", relative(srcRoot, join(here, "../tsdb.js")))).href;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("keeps every acknowledged commit, whole and bit-exact, across repeated SIGKILLs", async () => {
    const dir = join(work, "data");
    const allAcked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await runAndKill(dir, round * 1_000_000, 50 + round * 40);
      allAcked.push(...acked);
      const seen = await openAndCheck(dir);
      const missing = allAcked.filter((id) => !seen.has(id));
      expect(missing, `round ${round}: acknowledged but not replayed`).toEqual([]);
    }
    expect(allAcked.length).toBeGreaterThan(0);
    console.info(`head crash test: ${ROUNDS} SIGKILLs, ${allAcked.length} acknowledged commits all replayed`);
  }, 60_000);
});
