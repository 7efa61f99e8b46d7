import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Matcher } from "../../model/matcher.js";
import { LogHead } from "./log-head.js";
import { EMPTY_LOG_QUERIER, MergeLogQuerier } from "./merge-querier.js";
import type { LogQueryEntry } from "./querier.js";

async function collect(it: AsyncIterableIterator<LogQueryEntry>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const e of it) out.push([String(e.tsNs), e.line]);
  return out;
}

describe("MergeLogQuerier", () => {
  let dir: string;
  let a: LogHead;
  let b: LogHead;
  let q: MergeLogQuerier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirador-merge-"));
    a = await LogHead.open(join(dir, "a"), { syncMode: "never" });
    b = await LogHead.open(join(dir, "b"), { syncMode: "never" });
    await a.append([
      {
        labels: [["app", "x"]],
        entries: [
          { tsNs: 1n, line: "a1" },
          { tsNs: 3n, line: "a3" },
        ],
      },
    ]);
    await b.append([
      {
        labels: [
          ["app", "x"],
          ["env", "dev"],
        ],
        entries: [
          { tsNs: 2n, line: "b2" },
          { tsNs: 3n, line: "b3" },
        ],
      },
    ]);
    q = new MergeLogQuerier([a.querier(), b.querier(), EMPTY_LOG_QUERIER]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  });

  const all = [new Matcher("=", "app", "x")];

  it("merges by time, ties by stream selector text; backward is the reverse of forward", async () => {
    const fwd = await collect(q.select(all, 0n, 10n, "forward", Number.POSITIVE_INFINITY));
    expect(fwd).toEqual([
      ["1", "a1"],
      ["2", "b2"],
      ["3", "b3"],
      ["3", "a3"],
    ]);
    const back = await collect(q.select(all, 0n, 10n, "backward", Number.POSITIVE_INFINITY));
    expect(back).toEqual([...fwd].reverse());
  });

  it("stops at the limit and keeps the time range", async () => {
    expect(await collect(q.select(all, 2n, 3n, "forward", 5))).toEqual([["2", "b2"]]);
    expect(await collect(q.select(all, 0n, 10n, "backward", 2))).toEqual([
      ["3", "a3"],
      ["3", "b3"],
    ]);
  });

  it("unites label names, values and series", async () => {
    expect(await q.labelNames()).toEqual(["app", "env"]);
    expect(await q.labelValues("app")).toEqual(["x"]);
    // Sorted by selector text, as the head sorts them: `{app="x", env="dev"}` before `{app="x"}`.
    expect(await q.series(all)).toEqual([
      [
        ["app", "x"],
        ["env", "dev"],
      ],
      [["app", "x"]],
    ]);
  });
});
