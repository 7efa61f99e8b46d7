import { appendFile, mkdtemp, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAndKill as runAndKillChild } from "../../../test-support/crash-child.js";
import { transpileTree } from "../../../test-support/transpile-tree.js";
import { FRAME_HEADER_BYTES } from "./frame.js";
import { decodeSamples, decodeSeries, RecordType, recordType, SampleBatch } from "./records.js";
import { type ReplayReport, replay } from "./replay.js";
import { SEGMENT_HEADER_BYTES } from "./segment.js";

/**
 * The real thing: a child process writes to the WAL with real fdatasyncs and is killed with SIGKILL
 * at a random moment, several times over one directory. After each kill the WAL is replayed and
 * every commit the child acknowledged (printed after `log()` resolved) must be there, intact. A kill
 * rarely tears a write (the kernel finishes a write syscall, and the page cache outlives the process),
 * so every other round also simulates a power loss: the bytes after the last acknowledged commit
 * are cut at a random point and junk is appended; the next child must replay past that and append.
 *
 * The child (testdata/crash-child.mjs) runs under plain `node`, which cannot load TypeScript on
 * Node 20, so the test first transpiles the WAL's sources and what they import (followed from
 * index.ts) with TypeScript's `transpileModule` into a temporary directory; the child imports that.
 */

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, "../../..");
const ROUNDS = 8;
const SEGMENT_BYTES = 256 * 1024;

let work: string;
let walUrl: string;

/** The number of samples of commit `id`; must match crash-child.mjs. */
function sampleCount(id: number): number {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 4000 + (h % 4000) : 1 + (h % 200);
}

/** Where commit `id`'s SAMPLES frame ends: the file and the offset just past it. */
interface CommitEnd {
  file: string;
  end: number;
}

/** Replays `dir`, checks every record is exactly what the child wrote for its id, returns the ids. */
async function replayAndCheck(dir: string): Promise<{ ends: Map<number, CommitEnd>; report: ReplayReport }> {
  const ends = new Map<number, CommitEnd>();
  const seriesSeen = new Set<number>();
  const batch = new SampleBatch();
  const report = await replay(dir, (r, pos) => {
    if (recordType(r) === RecordType.Series) {
      for (const s of decodeSeries(r)) {
        if (s.labels.get("id") !== String(s.ref) || s.labels.get("__name__") !== "crash") {
          throw new Error(`series ${s.ref} has labels ${s.labels.toString()}`);
        }
        seriesSeen.add(s.ref);
      }
      return;
    }
    decodeSamples(r, batch);
    const id = batch.refs[0]!;
    // A commit is [SERIES, SAMPLES]: its SERIES record precedes it.
    if (!seriesSeen.has(id)) throw new Error(`samples of ${id} without its series`);
    if (batch.length !== sampleCount(id))
      throw new Error(`id ${id}: ${batch.length} samples, want ${sampleCount(id)}`);
    const bits = new BigUint64Array(batch.values.buffer);
    for (let i = 0; i < batch.length; i++) {
      const want = i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
      if (batch.refs[i] !== id || batch.ts[i] !== id * 10_000 + i || bits[i] !== want) {
        throw new Error(`id ${id}: sample ${i} is damaged`);
      }
    }
    if (ends.has(id)) throw new Error(`id ${id} replayed twice`);
    ends.set(id, { file: pos.file, end: pos.offset + FRAME_HEADER_BYTES + r.length });
  });
  return { ends, report };
}

/** A small seeded PRNG (mulberry32), so the simulated power losses are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Simulates a power loss after a kill: the bytes of the last segment past the last commit the parent
 * saw acknowledged may not have reached the disk, so cut the file at a random point among them and
 * append junk (zeros or random bytes, as filesystems show after a crash).
 */
async function losePowerAfter(dir: string, acked: readonly number[], rand: () => number): Promise<void> {
  const { ends } = await replayAndCheck(dir);
  const last = (await readdir(dir))
    .filter((n) => /^\d{8}$/.test(n))
    .sort()
    .at(-1)!;
  const file = join(dir, last);
  let from = SEGMENT_HEADER_BYTES;
  for (const id of acked) {
    const e = ends.get(id);
    if (e !== undefined && e.file === file) from = Math.max(from, e.end);
  }
  const { size } = await stat(file);
  const cut = from + Math.floor(rand() * (size - from + 1));
  await truncate(file, cut);
  const junk = new Uint8Array(1 + Math.floor(rand() * 600));
  if (rand() < 0.5) for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
  await appendFile(file, junk);
}

/** Runs the child until it is ready and has run for `runMs`, then SIGKILLs it; returns the acked ids. */
async function runAndKill(dir: string, firstId: number, runMs: number): Promise<number[]> {
  return runAndKillChild(
    join(here, "testdata", "crash-child.mjs"),
    [walUrl, dir, String(firstId), String(SEGMENT_BYTES)],
    runMs,
  );
}

describe("WAL under kill -9", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-wal-crash-"));
    await transpileTree(join(here, "index.ts"), join(work, "build"), srcRoot);
    walUrl = pathToFileURL(join(work, "build", relative(srcRoot, join(here, "index.js")))).href;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("keeps every acknowledged commit across repeated SIGKILLs and simulated power losses", async () => {
    const dir = join(work, "wal");
    const rand = prng(20261121);
    const allAcked: number[] = [];
    let torn = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Run times vary so the kills land at different points of writes, cuts and syncs.
      const runMs = 30 + Math.floor(rand() * 200);
      const acked = await runAndKill(dir, round * 1_000_000, runMs);
      allAcked.push(...acked);
      if (round % 2 === 1) await losePowerAfter(dir, allAcked, rand);
      const { ends, report } = await replayAndCheck(dir);
      if (report.torn !== undefined) torn++;
      const missing = allAcked.filter((id) => !ends.has(id));
      expect(missing, `round ${round}: acknowledged but not replayed`).toEqual([]);
      expect(report.skipped).toEqual([]);
    }
    // The kills did land while the child was writing: it acknowledged commits.
    expect(allAcked.length).toBeGreaterThan(0);
    expect(torn).toBeGreaterThanOrEqual(ROUNDS / 2);
    console.info(
      `crash test: ${ROUNDS} SIGKILLs, ${allAcked.length} acknowledged commits all replayed, ${torn} torn tails dropped`,
    );
  });
});
