import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLogQuery, parseLogQL } from "../logql/index.js";
import { DEFAULT_PIPELINE_DEPS } from "../pipeline/index.js";
import { LogHead } from "../store/log-head.js";
import { CORPUS, LOGQL_CASES, type LogQLCase } from "./cases.js";
import { evaluateLogQuery, evaluateMetricQuery, LogQLEvalError } from "./index.js";

const NS = 1_000_000_000n;
const sec = (s: number): bigint => BigInt(s) * NS;
const toSec = (ns: bigint): number => Number(ns) / 1e9;

let dir: string;
let head: LogHead | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-logql-engine-"));
});
afterEach(async () => {
  await head?.close();
  head = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Numbers equal to 1e-9 relative, NaN equal to NaN. */
function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

async function run(c: LogQLCase): Promise<unknown> {
  head = await LogHead.open(dir, { syncMode: "never" });
  await head.append(
    (c.streams ?? CORPUS).map((s) => ({
      labels: Object.entries(s.labels),
      entries: s.entries.map(([t, line]) => ({ tsNs: sec(t), line })),
    })),
  );
  const q = head.querier();
  const expr = parseLogQL(c.query);
  const deps = DEFAULT_PIPELINE_DEPS;
  if (c.log !== undefined) {
    if (!isLogQuery(expr)) throw new Error("case has log options but a metric query");
    const streams = await evaluateLogQuery(q, expr, {
      startNs: sec(c.log.start),
      endNs: sec(c.log.end),
      direction: c.log.direction,
      limit: c.log.limit,
      deps,
    });
    return {
      streams: Object.fromEntries(
        streams.map((s) => [s.labels.toString(), s.entries.map(([t, l]) => [toSec(t), l])]),
      ),
    };
  }
  if (isLogQuery(expr)) throw new Error("case runs a log query as a metric query");
  const instant = c.instant !== undefined;
  const res = await evaluateMetricQuery(q, expr, {
    startNs: sec(c.range?.start ?? c.instant!),
    endNs: sec(c.range?.end ?? c.instant!),
    stepNs: sec(c.range?.step ?? 1),
    instant,
    deps,
  });
  switch (res.kind) {
    case "scalar":
      return { scalar: res.value };
    case "vector":
      return { vector: res.samples.map((s) => [s.labels.toString(), s.value]) };
    case "matrix":
      return {
        matrix: Object.fromEntries(
          res.series.map((s) => [s.labels.toString(), s.points.map(([t, v]) => [toSec(t), v])]),
        ),
      };
  }
}

/** Compares with numbers checked by {@link close}. */
function same(actual: unknown, expected: unknown): boolean {
  if (typeof expected === "number") return typeof actual === "number" && close(actual, expected);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => same(actual[i], e))
    );
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") return false;
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    return (
      same(ak, ek) &&
      ek.every((k) => same((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]))
    );
  }
  return actual === expected;
}

describe("LogQL cases", () => {
  for (const c of LOGQL_CASES) {
    it(`${c.name}: ${c.query}`, async () => {
      if ("error" in c.expect) {
        const err = await run(c).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(LogQLEvalError);
        expect((err as LogQLEvalError).code).toBe(c.expect.error);
        return;
      }
      const actual = await run(c);
      if (!same(actual, c.expect)) expect(actual).toEqual(c.expect);
    });
  }
});

describe("engine behaviour beyond the cases", () => {
  async function openCorpus(): Promise<LogHead> {
    head = await LogHead.open(dir, { syncMode: "never" });
    await head.append([
      ...CORPUS.map((s) => ({
        labels: Object.entries(s.labels),
        entries: s.entries.map(([t, line]) => ({ tsNs: sec(t), line })),
      })),
      {
        labels: [["app", "meta"]],
        entries: [{ tsNs: sec(5), line: "with metadata", structuredMetadata: [["trace_id", "t1"]] }],
      },
    ]);
    return head;
  }

  it("reads each range aggregation through exactly one select, whatever the step count", async () => {
    const h = await openCorpus();
    const inner = h.querier();
    const calls: [bigint, bigint][] = [];
    const q = {
      ...inner,
      select: (...args: Parameters<typeof inner.select>) => {
        calls.push([args[1], args[2]]);
        return inner.select(...args);
      },
    };
    const expr = parseLogQL('sum(count_over_time({env=~".+"}[1m] offset 10s))');
    if (isLogQuery(expr)) throw new Error("metric query expected");
    const res = await evaluateMetricQuery(q, expr, {
      startNs: sec(60),
      endNs: sec(120),
      stepNs: sec(1),
      deps: DEFAULT_PIPELINE_DEPS,
    });
    expect(calls).toEqual([[sec(60 - 60 - 10) + 1n, sec(120 - 10) + 1n]]);
    expect(res.kind).toBe("matrix");
  });

  it("puts structured metadata in the stream labels and the entry", async () => {
    const h = await openCorpus();
    const expr = parseLogQL('{app="meta"}');
    if (!isLogQuery(expr)) throw new Error("log query expected");
    const streams = await evaluateLogQuery(h.querier(), expr, {
      startNs: 0n,
      endNs: sec(100),
      direction: "forward",
      limit: 10,
      deps: DEFAULT_PIPELINE_DEPS,
    });
    expect(streams.map((s) => s.labels.toString())).toEqual(['{app="meta", trace_id="t1"}']);
    expect(streams[0]!.entries).toEqual([[sec(5), "with metadata", [["trace_id", "t1"]]]]);
  });

  it("stops when the signal is aborted", async () => {
    const h = await openCorpus();
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    const metric = parseLogQL('count_over_time({env=~".+"}[1m])');
    if (isLogQuery(metric)) throw new Error("metric query expected");
    await expect(
      evaluateMetricQuery(h.querier(), metric, {
        startNs: sec(60),
        endNs: sec(60),
        stepNs: sec(1),
        instant: true,
        deps: DEFAULT_PIPELINE_DEPS,
        signal: ac.signal,
      }),
    ).rejects.toThrow("stop");
    const log = parseLogQL('{env=~".+"}');
    if (!isLogQuery(log)) throw new Error("log query expected");
    await expect(
      evaluateLogQuery(h.querier(), log, {
        startNs: 0n,
        endNs: sec(100),
        direction: "forward",
        limit: 10,
        deps: DEFAULT_PIPELINE_DEPS,
        signal: ac.signal,
      }),
    ).rejects.toThrow("stop");
  });

  it("refuses a query with too many steps and says what to change", async () => {
    const h = await openCorpus();
    const expr = parseLogQL("vector(1)");
    if (isLogQuery(expr)) throw new Error("metric query expected");
    await expect(
      evaluateMetricQuery(h.querier(), expr, {
        startNs: 0n,
        endNs: sec(100_000),
        stepNs: sec(1),
        deps: DEFAULT_PIPELINE_DEPS,
      }),
    ).rejects.toThrow(/raise the step/);
  });
});
