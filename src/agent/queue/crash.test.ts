import { appendFile, mkdtemp, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAndKill } from "../../test-support/crash-child.js";
import { transpileTree } from "../../test-support/transpile-tree.js";
import { DiskQueue } from "./disk-queue.js";
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from "./format.js";
import { scanSegment } from "./frame-reader.js";

/**
 * The real thing: a child process appends, syncs, reads and acknowledges out of order, with real
 * fdatasyncs, and is killed with SIGKILL at a random moment, several times over one directory. After
 * each kill the queue is opened and read through: every record the child reported synced and had
 * not (perhaps) acknowledged must be delivered, intact and in order. A kill rarely tears a write (the
 * page cache outlives the process), so every other round also simulates a power loss: the bytes of
 * the last segment after the last synced record are cut at a random point and junk appended; the
 * open must cut that torn tail off, and the next child append after it.
 *
 * The child (testdata/crash-child.mjs) runs under plain `node`, which cannot load TypeScript on
 * Node 20, so the queue's sources are transpiled into a temporary directory first.
 */

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, "../..");
const ROUNDS = 8;
const SEGMENT_BYTES = 64 * 1024;

let work: string;
let queueUrl: string;

/** Whether `p` is exactly the payload crash-child.mjs makes for its id; returns the id. */
function checkedId(p: Uint8Array): number {
  const id = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const size = h % 16 === 0 ? 8000 + (h % 20000) : 4 + (h % 400);
  if (p.length !== size) throw new Error(`record ${id}: ${p.length} bytes, want ${size}`);
  for (let i = 4; i < size; i++) {
    if (p[i] !== ((id * 13 + i * 7) & 0xff)) throw new Error(`record ${id} is damaged at byte ${i}`);
  }
  return id;
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

async function lastSegment(dir: string): Promise<string> {
  const name = (await readdir(dir))
    .filter((n) => n.endsWith(".seg"))
    .sort()
    .at(-1);
  if (name === undefined) throw new Error(`no segment in ${dir}`);
  return join(dir, name);
}

/**
 * Simulates a power loss after a kill: the bytes of the last segment after the last synced record
 * may not have reached the disk, so cut the file at a random point among them and append junk (zeros
 * or random bytes, as filesystems show after a crash). Returns where the good frames now end.
 */
async function losePower(dir: string, synced: ReadonlySet<number>, rand: () => number): Promise<number> {
  const file = await lastSegment(dir);
  let from = SEGMENT_HEADER_BYTES;
  const ends: number[] = [];
  await scanSegment(file, (at, payload) => {
    const end = at + FRAME_HEADER_BYTES + payload.length;
    ends.push(end);
    if (synced.has(checkedId(payload))) from = Math.max(from, end);
  });
  const { size } = await stat(file);
  const cut = from + Math.floor(rand() * (size - from + 1));
  await truncate(file, cut);
  const junk = new Uint8Array(1 + Math.floor(rand() * 600));
  if (rand() < 0.5) for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
  await appendFile(file, junk);
  return Math.max(SEGMENT_HEADER_BYTES, ...ends.filter((e) => e <= cut));
}

describe("DiskQueue under kill -9", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-queue-crash-"));
    await transpileTree(join(here, "index.ts"), join(work, "build"), srcRoot);
    queueUrl = pathToFileURL(join(work, "build", relative(srcRoot, join(here, "index.js")))).href;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("delivers every synced, unacknowledged record across SIGKILLs and simulated power losses", async () => {
    const dir = join(work, "queue");
    const rand = prng(20260301);
    const synced = new Set<number>();
    const acked = new Set<number>();
    let torn = 0;
    let delivered = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const first = round * 1_000_000;
      const runMs = 30 + Math.floor(rand() * 200);
      const out = await runAndKill(
        join(here, "testdata", "crash-child.mjs"),
        [queueUrl, dir, String(first), String(SEGMENT_BYTES)],
        runMs,
      );
      for (const n of out) {
        if (n < 0) acked.add(-n - 1);
        else for (let id = first; id <= n; id++) synced.add(id);
      }
      let goodEnd: number | undefined;
      if (round % 2 === 1) goodEnd = await losePower(dir, synced, rand);

      const q = await DiskQueue.open(dir, { syncMode: "never" });
      if (goodEnd !== undefined) {
        expect(q.openReport.tornTails.length, `round ${round}: torn tail not found`).toBe(1);
        expect(q.openReport.tornTails[0]!.offset).toBe(goodEnd);
        expect((await stat(await lastSegment(dir))).size).toBe(goodEnd);
        torn++;
      }
      const got: number[] = [];
      for (
        let b = await q.read(1000, 1 << 22, { wait: false });
        b;
        b = await q.read(1000, 1 << 22, { wait: false })
      ) {
        got.push(...b.records.map(checkedId));
      }
      expect(q.stats.dropped.corrupt).toEqual({ records: 0, bytes: 0 });
      await q.close();
      for (let i = 1; i < got.length; i++) {
        if (got[i]! <= got[i - 1]!)
          throw new Error(`round ${round}: ${got[i]} delivered after ${got[i - 1]}`);
      }
      const have = new Set(got);
      const missing = [...synced].filter((id) => !acked.has(id) && !have.has(id));
      expect(missing, `round ${round}: synced, not acknowledged, not delivered`).toEqual([]);
      delivered += got.length;
    }
    // The kills landed while the child was working: it synced and acknowledged records.
    expect(synced.size).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThan(0);
    expect(torn).toBe(ROUNDS / 2);
    console.info(
      `queue crash test: ${ROUNDS} SIGKILLs, ${synced.size} records synced, ${acked.size} acknowledged, ` +
        `${delivered} delivered on reopen, ${torn} torn tails cut`,
    );
  });
});
