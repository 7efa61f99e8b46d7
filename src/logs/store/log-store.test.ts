import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Matcher } from "../../model/matcher.js";
import { LogBlockError } from "./log-block.js";
import { LogHead, type LogHeadOptions, type LogHeadStreamInput } from "./log-head.js";
import { LogStore } from "./log-store.js";
import type { LogQuerier } from "./querier.js";

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const FAST: LogHeadOptions = { syncMode: "never" };
const ANY_APP = [new Matcher("=~", "app", ".+")];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-log-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(q: LogQuerier, matchers = ANY_APP, from = MIN, to = MAX): Promise<string[]> {
  const out: string[] = [];
  for await (const e of q.select(matchers, from, to, "forward", Infinity)) {
    out.push(`${Object.fromEntries(e.labels).app} ${e.tsNs} ${e.line}`);
  }
  return out;
}

function push(app: string, from: number, n: number, prefix = "line"): LogHeadStreamInput {
  return {
    labels: [["app", app]],
    entries: Array.from({ length: n }, (_, i) => ({ tsNs: BigInt(from + i), line: `${prefix} ${from + i}` })),
  };
}

async function walSegments(): Promise<string[]> {
  return (await readdir(join(dir, "wal"))).filter((f) => /^\d{8}$/.test(f));
}

async function blockDirs(): Promise<string[]> {
  return (await readdir(join(dir, "blocks"))).sort();
}

describe("LogStore flush", () => {
  it("moves the head into a block on disk, truncates the WAL, and reads the same before and after", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("web", 100, 50), push("api", 120, 20)]);
    const before = await lines(store.querier());
    expect(before).toHaveLength(70);
    expect(await store.flush()).toBe(true);
    expect(store.stats().blocks).toBe(1);
    expect(store.stats().headBytes).toBe(0);
    expect(await lines(store.querier())).toEqual(before);
    expect(await blockDirs()).toEqual(["00000001"]);
    expect(await walSegments()).toHaveLength(1); // only the new segment
    await store.append([push("web", 200, 10)]);
    expect(await lines(store.querier())).toEqual([...before, ...(await lines(store.querier())).slice(70)]);
    expect(await lines(store.querier())).toHaveLength(80);
    await store.close();

    const again = await LogStore.open(dir, FAST);
    const all = await lines(again.querier());
    expect(all).toHaveLength(80);
    expect(all.slice(0, 70)).toEqual(before);
    expect(all.at(-1)).toBe("web 209 line 209");
    await again.close();
  });

  it("answers false and writes nothing when the head is empty", async () => {
    const store = await LogStore.open(dir, FAST);
    expect(await store.flush()).toBe(false);
    await store.close();
  });

  it("serves labels, series and stats across blocks and the head, honouring the time range", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("old", 100, 10)]);
    await store.flush();
    await store.append([push("new", 1000, 10), push("old", 1000, 5)]);
    const q = store.querier();
    expect(await q.labelValues("app")).toEqual(["new", "old"]);
    expect(await q.labelValues("app", [], { fromNs: 0n, toNs: 500n })).toEqual(["old"]);
    expect(await q.series(ANY_APP, { fromNs: 900n, toNs: 2000n })).toEqual([
      [["app", "new"]],
      [["app", "old"]],
    ]);
    const stats = await q.stats(ANY_APP, MIN, MAX);
    const old = stats.find((s) => s.labels[0]![1] === "old")!;
    expect(old.entries).toBe(15);
    expect(old.chunks).toBe(2); // one in the block, the open buffer of the head
    expect(old.bytes).toBe(
      Array.from({ length: 10 }, (_, i) => `line ${100 + i}`.length).reduce((a, b) => a + b) + 5 * 9,
    );
    expect(await lines(q, [new Matcher("=", "app", "old")], 1000n, 1003n)).toEqual([
      "old 1000 line 1000",
      "old 1001 line 1001",
      "old 1002 line 1002",
    ]);
    await store.close();
  });

  it("keeps every acknowledged entry exactly once when appends race with flushes", async () => {
    const store = await LogStore.open(dir, FAST);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(store.append([push(`s${i % 4}`, 1000 + i * 10, 10)]));
      if (i % 7 === 3) writes.push(store.flush());
    }
    await Promise.all(writes);
    const got = await lines(store.querier());
    expect(got).toHaveLength(400);
    expect(new Set(got).size).toBe(400);
    await store.close();
    const again = await LogStore.open(dir, FAST);
    expect(await lines(again.querier())).toEqual(got);
    await again.close();
  });

  it("skips WAL segments a block already holds when a crash came before the truncation", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("web", 100, 20)]);
    await store.close();
    const saved = join(dir, "..", `${dir.split("/").pop()}-wal`);
    await cp(join(dir, "wal"), saved, { recursive: true });
    const s2 = await LogStore.open(dir, FAST);
    await s2.flush();
    await s2.append([push("web", 200, 5)]);
    await s2.close();
    // Put the covered segment back, as if the process died between the block's rename and the truncation.
    for (const f of await readdir(saved)) {
      if (!(await walSegments()).includes(f)) await cp(join(saved, f), join(dir, "wal", f));
    }
    await rm(saved, { recursive: true, force: true });
    const s3 = await LogStore.open(dir, FAST);
    const got = await lines(s3.querier());
    expect(got).toHaveLength(25);
    expect(new Set(got).size).toBe(25);
    await s3.close();
  });

  it("replays everything when the block never made it to disk (streams re-declared twice are accepted)", async () => {
    const head = await LogHead.open(dir, FAST);
    await head.append([push("web", 100, 20)]);
    let taken = 0;
    expect(await head.takeForFlush((f) => (taken = f.streams.length))).toBe(true);
    expect(taken).toBe(1);
    await head.append([push("web", 200, 5)]);
    await head.close();
    // A block write that died before its rename.
    await mkdir(join(dir, "blocks", ".tmp-00000001"), { recursive: true });
    await writeFile(join(dir, "blocks", ".tmp-00000001", "chunks"), "partial");
    const store = await LogStore.open(dir, FAST);
    const got = await lines(store.querier());
    expect(got).toHaveLength(25);
    expect(await blockDirs()).toEqual([]);
    await store.close();
  });

  it("still opens a block whose index was written as plain index.json", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("web", 100, 5)]);
    await store.flush();
    await store.close();
    const blockDir = join(dir, "blocks", "00000001");
    await writeFile(
      join(blockDir, "index.json"),
      gunzipSync(await readFile(join(blockDir, "index.json.gz"))),
    );
    await rm(join(blockDir, "index.json.gz"));
    const again = await LogStore.open(dir, FAST);
    expect(await lines(again.querier())).toHaveLength(5);
    await again.close();
  });

  it("refuses to open a block whose index is damaged, naming the file", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("web", 100, 5)]);
    await store.flush();
    await store.close();
    const index = join(dir, "blocks", "00000001", "index.json.gz");
    const text = gunzipSync(await readFile(index)).toString("utf8");
    await writeFile(index, gzipSync(text.replace('"chunks_bytes":', '"chunks_bytes":1')));
    await expect(LogStore.open(dir, FAST)).rejects.toThrow(LogBlockError);
    await expect(LogStore.open(dir, FAST)).rejects.toThrow(/00000001/);
  });

  it("round-trips random pushes through flushes and reopen", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 1, max: 30 }), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        async (ops) => {
          const d = await mkdtemp(join(tmpdir(), "mirador-log-store-prop-"));
          try {
            const store = await LogStore.open(d, FAST);
            const next: Record<string, number> = { a: 0, b: 0, c: 0 };
            const want: string[] = [];
            for (const [app, n, flush] of ops) {
              await store.append([push(app, next[app]!, n)]);
              for (let i = 0; i < n; i++) want.push(`${app} ${next[app]! + i} line ${next[app]! + i}`);
              next[app]! += n;
              if (flush) await store.flush();
            }
            const sorted = (xs: string[]) => [...xs].sort();
            expect(sorted(await lines(store.querier()))).toEqual(sorted(want));
            await store.close();
            const again = await LogStore.open(d, FAST);
            expect(sorted(await lines(again.querier()))).toEqual(sorted(want));
            await again.close();
          } finally {
            await rm(d, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("LogStore select with a line hint", () => {
  it("gives exactly the lines the caller's filter would keep, from blocks, head chunks and open buffers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[ab ]{0,8}$/), { minLength: 1, maxLength: 60 }),
        fc.array(fc.stringMatching(/^[ab]{1,3}$/), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom("forward" as const, "backward" as const),
        async (texts, needles, flushAt, direction) => {
          const d = await mkdtemp(join(tmpdir(), "mirador-log-store-hint-"));
          try {
            const store = await LogStore.open(d, { ...FAST, chunkTargetBytes: 40 });
            for (let i = 0; i < texts.length; i++) {
              await store.append([
                { labels: [["app", i % 2 ? "x" : "y"]], entries: [{ tsNs: BigInt(i), line: texts[i]! }] },
              ]);
              if (i === flushAt) await store.flush();
            }
            const read = async (hint?: { lineContains: string[] }) => {
              const out: string[] = [];
              const it = store.querier().select(ANY_APP, MIN, MAX, direction, Infinity, hint);
              for await (const e of it) out.push(`${e.tsNs} ${e.line}`);
              return out;
            };
            const all = await read();
            const want = all.filter((l) => needles.every((n) => l.slice(l.indexOf(" ") + 1).includes(n)));
            expect(await read({ lineContains: needles })).toEqual(want);
            await store.close();
          } finally {
            await rm(d, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("LogStore trigram filters", () => {
  it("skips, without reading it, a block chunk whose filter rules the needle out", async () => {
    const store = await LogStore.open(dir, FAST);
    const lines = (word: string) =>
      Array.from({ length: 300 }, (_, i) => ({ tsNs: BigInt(1000 + i), line: `${word} event number ${i}` }));
    await store.append([
      { labels: [["app", "a"]], entries: lines("alpha") },
      { labels: [["app", "b"]], entries: lines("bravo") },
    ]);
    await store.flush();
    await store.close();
    // Damage every chunk byte of stream b: reading it now fails its checksum.
    const blockDir = join(dir, "blocks", "00000001");
    const index = JSON.parse(gunzipSync(await readFile(join(blockDir, "index.json.gz"))).toString("utf8"));
    const b = index.streams.find((s: { labels: string[][] }) => s.labels[0]![1] === "b").chunks[0];
    expect(b.filter_bytes).toBeGreaterThan(0);
    const chunks = await readFile(join(blockDir, "chunks"));
    for (let i = b.offset + 45; i < b.offset + b.length - 8; i++) chunks[i] = chunks[i]! ^ 0xff;
    await writeFile(join(blockDir, "chunks"), chunks);

    const again = await LogStore.open(dir, FAST);
    const q = again.querier();
    const hinted: string[] = [];
    for await (const e of q.select(ANY_APP, MIN, MAX, "forward", Infinity, { lineContains: ["alpha event"] }))
      hinted.push(e.line);
    expect(hinted).toHaveLength(300);
    await expect(lines_(q)).rejects.toThrow(/checksum/);
    await again.close();
  });
});

async function lines_(q: LogQuerier): Promise<number> {
  let n = 0;
  for await (const _ of q.select(ANY_APP, MIN, MAX, "forward", Infinity)) n++;
  return n;
}

describe("LogStore reads during a flush", () => {
  it("never misses an acknowledged line while the head is handed to a block", async () => {
    const store = await LogStore.open(dir, { ...FAST, chunkTargetBytes: 200 });
    let acked = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        await store.append([push(`w${i % 3}`, 1000 + i * 5, 5)]);
        acked += 5;
      }
    })();
    const flusher = (async () => {
      for (let k = 0; k < 15; k++) await store.flush();
    })();
    let checks = 0;
    while (checks < 60) {
      const before = acked;
      const got = await lines(store.querier());
      expect(got.length).toBeGreaterThanOrEqual(before);
      checks++;
    }
    await flusher;
    stop = true;
    await writer;
    expect((await lines(store.querier())).length).toBe(acked);
    await store.close();
  });
});

describe("LogStore retention", () => {
  const NS_PER_MS = 1_000_000;

  it("deletes blocks older than the retention period and keeps newer ones", async () => {
    const store = await LogStore.open(dir, FAST);
    const now = 10_000_000;
    await store.append([push("web", (now - 5000) * NS_PER_MS, 3)]);
    await store.flush();
    await store.append([push("web", (now - 10) * NS_PER_MS, 3)]);
    await store.flush();
    const r = await store.applyRetention({ periodMs: 1000, maxBytes: 0 }, now);
    expect(r.blocks).toBe(1);
    expect(r.bytes).toBeGreaterThan(0);
    expect(await blockDirs()).toEqual(["00000002"]);
    expect(await lines(store.querier())).toHaveLength(3);
    await store.close();
  });

  it("deletes the oldest blocks while the tenant's blocks exceed the size bound", async () => {
    const store = await LogStore.open(dir, FAST);
    for (let i = 0; i < 4; i++) {
      await store.append([push("web", 1000 * (i + 1), 50)]);
      await store.flush();
    }
    const each = store.stats().blockBytes / 4;
    const r = await store.applyRetention({ periodMs: 0, maxBytes: Math.ceil(each * 2.5) }, Date.now());
    expect(r.blocks).toBe(2);
    expect(await blockDirs()).toEqual(["00000003", "00000004"]);
    const got = await lines(store.querier());
    expect(got[0]).toBe("web 3000 line 3000");
    await store.close();
  });

  it("lets a query that started before a deletion finish on the open file", async () => {
    const store = await LogStore.open(dir, FAST);
    await store.append([push("web", 1000, 100)]);
    await store.flush();
    const it = store.querier().select(ANY_APP, MIN, MAX, "forward", Infinity);
    const first = await it.next();
    expect(first.value?.line).toBe("line 1000");
    await store.applyRetention({ periodMs: 1, maxBytes: 0 }, Date.now());
    let n = 1;
    for await (const _ of it) n++;
    expect(n).toBe(100);
    expect(await lines(store.querier())).toEqual([]);
    await store.close();
  });
});

describe("LogHead stream limit", () => {
  it("refuses new streams past the limit with the setting's name, keeping existing streams writable", async () => {
    const head = await LogHead.open(dir, FAST);
    const opts = { maxStreams: 2, maxStreamsSetting: "logs.limits.max_global_streams_per_user" };
    const r1 = await head.append([push("a", 1, 1), push("b", 1, 1)], opts);
    expect(r1.accepted).toBe(2);
    const r2 = await head.append([push("c", 1, 3), push("a", 2, 1)], opts);
    expect(r2.accepted).toBe(1);
    expect(r2.refusedByReason).toEqual({ stream_limit: 3 });
    expect(r2.errors[0]).toMatch(/logs\.limits\.max_global_streams_per_user/);
    await head.close();
  });
});
