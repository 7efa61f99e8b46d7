import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Matcher } from "../../model/matcher.js";
import { runAndKill } from "../../test-support/crash-child.js";
import { transpileTree } from "../../test-support/transpile-tree.js";
import { LogHead } from "./log-head.js";

/**
 * The log head under `kill -9`: a child process (testdata/log-crash-child.mjs) appends with real
 * fdatasyncs — eight writers, small WAL segments and chunks — and is killed with SIGKILL at a random
 * moment, several times over one directory. After each kill the head is opened here (replaying the
 * WAL) and every push the child acknowledged must be there, entry for entry; the next child must
 * replay and carry on appending to the same streams.
 *
 * Plain `node` cannot load TypeScript on Node 20, so the head's sources are transpiled first (with
 * node_modules linked: the chunk codecs import `snappy`).
 */

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, "../..");
const ROUNDS = 4;

let work: string;
let headUrl: string;

/** Must match log-crash-child.mjs. */
function entryCount(id: number): number {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 500 + (h % 500) : 1 + (h % 50);
}

/** Must match log-crash-child.mjs. */
function line(id: number, i: number): string {
  return `id=${id} i=${i} msg="${"x".repeat((id + i) % 40)}"`;
}

/** Opens the head and checks it: returns the ids whose entries are all there, each exact. */
async function openAndCheck(dir: string): Promise<Set<number>> {
  const head = await LogHead.open(dir, { syncMode: "never" });
  const whole = new Set<number>();
  try {
    const q = head.querier();
    const ticks = new Set<number>();
    for await (const e of q.select([new Matcher("=", "job", "ticker")], 0n, 2n ** 62n, "forward", Infinity)) {
      ticks.add(Number(e.tsNs));
    }
    const got = new Map<number, number>();
    for await (const e of q.select([new Matcher("=", "job", "crash")], 0n, 2n ** 62n, "forward", Infinity)) {
      const id = Number(e.tsNs / 1000n);
      const i = Number(e.tsNs % 1000n);
      expect(e.line).toBe(line(id, i));
      expect(e.metadata).toEqual(i % 5 === 0 ? [["trace_id", `${id}-${i}`]] : undefined);
      expect(i, `id ${id}: entries out of order`).toBe(got.get(id) ?? 0);
      got.set(id, i + 1);
    }
    for (const [id, n] of got) {
      if (n === entryCount(id) && ticks.has(id)) whole.add(id);
    }
  } finally {
    await head.close();
  }
  return whole;
}

describe("the log head under kill -9", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-log-crash-"));
    await transpileTree(join(here, "log-head.ts"), join(work, "build"), srcRoot, {
      nodeModules: resolve(srcRoot, "../node_modules"),
    });
    headUrl = pathToFileURL(join(work, "build", relative(srcRoot, join(here, "log-head.js")))).href;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("keeps every acknowledged push, entry for entry, across repeated SIGKILLs", async () => {
    const dir = join(work, "data");
    const allAcked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await runAndKill(
        join(here, "testdata", "log-crash-child.mjs"),
        [headUrl, dir, String(round * 1_000_000)],
        50 + round * 40,
      );
      allAcked.push(...acked);
      const whole = await openAndCheck(dir);
      const missing = allAcked.filter((id) => !whole.has(id));
      expect(missing, `round ${round}: acknowledged but not replayed whole`).toEqual([]);
    }
    expect(allAcked.length).toBeGreaterThan(0);
    console.info(
      `log head crash test: ${ROUNDS} SIGKILLs, ${allAcked.length} acknowledged pushes all replayed`,
    );
  }, 60_000);
});
