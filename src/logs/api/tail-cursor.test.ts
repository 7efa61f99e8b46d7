import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogStreamResult } from "../engine/index.js";
import { type LogQueryExpr, parseLogQL } from "../logql/index.js";
import { DEFAULT_PIPELINE_DEPS } from "../pipeline/index.js";
import { LogHead } from "../store/index.js";
import { TailCursor } from "./tail-cursor.js";

let dir: string;
let head: LogHead;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-tail-cursor-"));
  head = await LogHead.open(dir, { syncMode: "never" });
});
afterEach(async () => {
  await head.close();
  await rm(dir, { recursive: true, force: true });
});

function cursor(query: string, lateNs = 0n): TailCursor {
  return new TailCursor(parseLogQL(query) as LogQueryExpr, DEFAULT_PIPELINE_DEPS, lateNs);
}

async function push(app: string, entries: [number, string][]): Promise<void> {
  const r = await head.append([
    { labels: [["app", app]], entries: entries.map(([ts, line]) => ({ tsNs: BigInt(ts), line })) },
  ]);
  expect(r.accepted).toBe(entries.length);
}

/** `app ts line` of every entry, streams in order, each stream's entries in order. */
function flat(streams: readonly LogStreamResult[]): string[] {
  return streams.flatMap((s) => s.entries.map(([ts, line]) => `${s.labels.toRecord().app} ${ts} ${line}`));
}

/** Reads with `batch` until the cursor has caught up with `endNs`. */
async function drain(c: TailCursor, endNs: bigint, batch: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const b = await c.next(head.querier(), endNs, batch);
    out.push(...flat(b.streams));
    if (!b.more) return out;
  }
  throw new Error("the cursor did not catch up in 100 reads");
}

describe("TailCursor", () => {
  it("gives the newest `limit` entries of the history, oldest first, then stands at its end", async () => {
    await push("a", [
      [10, "one"],
      [20, "two"],
      [30, "three"],
    ]);
    const c = cursor('{app="a"}');
    expect(flat(await c.history(head.querier(), 0n, 25n, 1))).toEqual(["a 20 two"]);
    expect(c.fromNs).toBe(25n);
    // The entry at 30 was past the history's end: the next read gives it; 10 is never given.
    expect(await drain(c, 100n, 10)).toEqual(["a 30 three"]);
    expect(await drain(c, 200n, 10)).toEqual([]);
  });

  it("hands each entry out once when batches stop inside a run of equal timestamps", async () => {
    await push("a", [
      [10, "x"],
      [10, "y"],
      [10, "z"],
      [20, "w"],
    ]);
    await push("b", [
      [10, "x"],
      [10, "v"],
    ]);
    const c = cursor('{app=~"a|b"}');
    await c.history(head.querier(), 0n, 5n, 100);
    const got = await drain(c, 100n, 1);
    expect(got.sort()).toEqual(["a 10 x", "a 10 y", "a 10 z", "a 20 w", "b 10 v", "b 10 x"]);
  });

  it("sees entries appended after a read, also at the timestamp a full batch stopped on", async () => {
    await push("a", [
      [10, "p"],
      [10, "q"],
    ]);
    const c = cursor('{app="a"}');
    await c.history(head.querier(), 0n, 5n, 100);
    const first = await c.next(head.querier(), 100n, 1);
    expect(first.more).toBe(true);
    await push("a", [
      [10, "r"],
      [50, "s"],
    ]);
    expect([...flat(first.streams), ...(await drain(c, 100n, 1))]).toEqual([
      "a 10 p",
      "a 10 q",
      "a 10 r",
      "a 50 s",
    ]);
  });

  it("applies the query's pipeline, and leaves what it drops behind for good", async () => {
    await push("a", [
      [10, "level=info msg=hello"],
      [20, "level=error msg=boom"],
      [30, "level=info msg=again"],
    ]);
    const c = cursor('{app="a"} | logfmt | level="info" | line_format "{{.msg}}"');
    await c.history(head.querier(), 0n, 5n, 100);
    const b = await c.next(head.querier(), 100n, 1);
    const rest = await drain(c, 100n, 1);
    expect([...flat(b.streams), ...rest]).toEqual(["a 10 hello", "a 30 again"]);
    expect(b.streams[0]?.labels.toRecord()).toEqual({ app: "a", level: "info", msg: "hello" });
  });

  it("reads nothing while the end is not past the cursor", async () => {
    await push("a", [[10, "one"]]);
    const c = cursor('{app="a"}');
    await c.history(head.querier(), 0n, 50n, 10);
    expect(await c.next(head.querier(), 50n, 10)).toEqual({ streams: [], more: false });
    expect(await c.next(head.querier(), 40n, 10)).toEqual({ streams: [], more: false });
  });

  it("goes back its late window for entries that reach the store after later reads, each once", async () => {
    const c = cursor('{app=~"late.*"}', 50n);
    await push("late1", [[110, "first"]]);
    await c.history(head.querier(), 0n, 100n, 10);
    expect(await drain(c, 120n, 10)).toEqual(["late1 110 first"]);
    // Read again over the window: nothing new, nothing twice.
    expect(await drain(c, 130n, 10)).toEqual([]);
    // Reaches the store after the reads up to 130, stamped 90: inside the window (130 − 50).
    await push("late2", [[90, "late but in time"]]);
    expect(await drain(c, 140n, 10)).toEqual(["late2 90 late but in time"]);
    expect(c.fromNs).toBe(90n);
    // Stamped 80, reaching the store after the reads up to 140: too late, never seen.
    await push("late3", [[80, "too late"]]);
    expect(await drain(c, 200n, 10)).toEqual([]);
    await push("late1", [[195, "later"]]);
    expect(await drain(c, 300n, 1)).toEqual(["late1 195 later"]);
    expect(await drain(c, 301n, 1)).toEqual([]);
  });

  it("does not hand out history entries the limit cut off, even inside the late window", async () => {
    await push("a", [
      [60, "old"],
      [70, "new"],
    ]);
    const c = cursor('{app="a"}', 50n);
    expect(flat(await c.history(head.querier(), 0n, 100n, 1))).toEqual(["a 70 new"]);
    expect(await drain(c, 110n, 10)).toEqual([]);
  });
});
