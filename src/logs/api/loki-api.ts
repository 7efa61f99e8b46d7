/**
 * Loki's query API on the seed's HTTP port (shared/reference/loki-api.md §2, §3, §4, §6): instant and
 * range queries (log queries answer streams, metric queries vectors, matrices or scalars), label
 * names and values and series over a time range (default: the last hour), index stats and volume
 * (`index/stats`, `index/volume`, `index/volume_range`, from the store's per-stream stats), the live
 * tail over a WebSocket (`tail.ts`), query formatting and build info. Every endpoint but the tail
 * takes GET and form POST; the tenant comes from `X-Scope-OrgID`, and several tenants joined by `|`
 * are read as one dataset. Errors are plain text, as Loki answers them.
 */
import { Labels } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import { readParams } from "../../server/http/body.js";
import { requireLoopback } from "../../server/http/loopback.js";
import { sendJSON, sendRawJSON } from "../../server/http/reply.js";
import type { RouteRequest, Router } from "../../server/http/router.js";
import { requestTenants } from "../../server/http/tenant.js";
import {
  evaluateLogQuery,
  evaluateMetricQuery,
  LogQLEvalError,
  MAX_STEPS,
  type MetricResult,
} from "../engine/index.js";
import { formatLogQL, isLogQuery } from "../logql/index.js";
import { DEFAULT_PIPELINE_DEPS } from "../pipeline/index.js";
import type { LogQuerier, LogTimeRange } from "../store/index.js";
import {
  lokiDirectionParam,
  lokiDurationParam,
  lokiLimitParam,
  lokiTimeParam,
  lokiTimeRange,
  optionalSelector,
  parseQuery,
  requiredParam,
  selectorMatchers,
} from "./params.js";
import { streamsJSON } from "./stream-json.js";
import { registerLokiTail, type TailDeps } from "./tail.js";
import {
  addVolume,
  targetLabelsParam,
  topVolumeKeys,
  type VolumePlan,
  type VolumeSeries,
  volumeAggregationParam,
  volumeLimitParam,
  volumePlan,
} from "./volume.js";

const NS_PER_S = 1_000_000_000n;
const HOUR_NS = 3600n * NS_PER_S;

/**
 * What the Loki query API needs. The tail's optional settings (`maxConcurrentTails`, `tailPollMs`,
 * `tailMaxDurationMs`) have defaults; see {@link TailDeps}.
 */
export interface LokiApiDeps extends TailDeps {
  /** A read view over the named tenants' logs (one tenant's head, or several merged). */
  readonly querier: (tenants: readonly string[]) => Promise<LogQuerier>;
  /** `logs.max_entries_limit_per_query`: the largest `limit` a log query may ask for. */
  readonly maxEntriesLimit: number;
  /** `server.max_query_body_bytes`. */
  readonly maxBodyBytes: number;
  readonly version: string;
}

type LokiRoute = (
  path: string,
  fn: (r: RouteRequest, p: URLSearchParams, q: LogQuerier) => Promise<void>,
) => void;

/** Registers the Loki query API routes on `router`; see the file comment. */
export function registerLokiApi(router: Router, deps: LokiApiDeps): void {
  const route: LokiRoute = (path, fn) =>
    router.on(
      ["GET", "POST"],
      path,
      async (r) => {
        requireLoopback(r.raw);
        const tenants = requestTenants(r.raw);
        const params = await readParams(r.raw, r.url, deps.maxBodyBytes);
        await fn(r, params, await deps.querier(tenants));
      },
      { errors: "text" },
    );

  route("/loki/api/v1/query", async (r, p, q) => {
    const expr = parseQuery(requiredParam(p, "query"));
    const time = lokiTimeParam(p, "time", nowNs());
    if (isLogQuery(expr)) {
      // A log query at one instant reads the hour (or `since`) before it.
      const since = lokiDurationParam(p, "since") ?? HOUR_NS;
      const streams = await run(r, () =>
        evaluateLogQuery(q, expr, {
          startNs: time - since,
          endNs: time,
          direction: lokiDirectionParam(p),
          limit: lokiLimitParam(p, deps.maxEntriesLimit),
          deps: DEFAULT_PIPELINE_DEPS,
          signal: r.signal,
        }),
      );
      sendData(r, "streams", streamsJSON(streams));
      return;
    }
    const result = await run(r, () =>
      evaluateMetricQuery(q, expr, {
        startNs: time,
        endNs: time,
        stepNs: NS_PER_S,
        instant: true,
        deps: DEFAULT_PIPELINE_DEPS,
        signal: r.signal,
      }),
    );
    sendMetric(r, result);
  });

  route("/loki/api/v1/query_range", async (r, p, q) => {
    const expr = parseQuery(requiredParam(p, "query"));
    const { startNs, endNs } = lokiTimeRange(p, nowNs());
    if (isLogQuery(expr)) {
      // Grafana sends `step` with log queries too; it means nothing there.
      const streams = await run(r, () =>
        evaluateLogQuery(q, expr, {
          startNs,
          endNs,
          direction: lokiDirectionParam(p),
          limit: lokiLimitParam(p, deps.maxEntriesLimit),
          deps: DEFAULT_PIPELINE_DEPS,
          signal: r.signal,
        }),
      );
      sendData(r, "streams", streamsJSON(streams));
      return;
    }
    const stepNs = lokiDurationParam(p, "step") ?? defaultStepNs(startNs, endNs);
    checkSteps(startNs, endNs, stepNs);
    const result = await run(r, () =>
      evaluateMetricQuery(q, expr, { startNs, endNs, stepNs, deps: DEFAULT_PIPELINE_DEPS, signal: r.signal }),
    );
    sendMetric(r, result);
  });

  const labels = async (r: RouteRequest, p: URLSearchParams, q: LogQuerier) => {
    const matchers = optionalSelector(p);
    sendList(r, await q.labelNames(matchers, timeRange(p)));
  };
  route("/loki/api/v1/labels", labels);
  route("/loki/api/v1/label", labels);

  route("/loki/api/v1/label/:name/values", async (r, p, q) => {
    sendList(r, await q.labelValues(r.params.name ?? "", optionalSelector(p), timeRange(p)));
  });

  route("/loki/api/v1/series", async (r, p, q) => {
    const selectors = p.getAll("match[]").concat(p.getAll("match"));
    if (selectors.length === 0) throw new HttpError("bad_data", 'invalid parameter "match[]": missing');
    const range = timeRange(p);
    const byKey = new Map<string, Labels>();
    for (const text of selectors) {
      for (const s of await q.series(selectorMatchers(text, "match[]"), range)) {
        const labels = Labels.fromRecord(Object.fromEntries(s));
        byKey.set(labels.key(), labels);
      }
    }
    const data = [...byKey.values()].sort(Labels.compare).map((l) => l.toRecord());
    sendRawJSON(r.res, 200, `{"status":"success","data":${JSON.stringify(data)}}`);
  });

  route("/loki/api/v1/index/stats", async (r, p, q) => {
    const matchers = selectorMatchers(requiredParam(p, "query"), "query");
    const { fromNs, toNs } = timeRange(p);
    const totals = { streams: 0, chunks: 0, entries: 0, bytes: 0 };
    for (const s of await q.stats(matchers, fromNs, toNs)) {
      totals.streams++;
      totals.chunks += s.chunks;
      totals.entries += s.entries;
      totals.bytes += s.bytes;
    }
    sendJSON(r.res, 200, totals);
  });

  route("/loki/api/v1/index/volume", async (r, p, q) => {
    const { plan, limit } = volumeRequest(p);
    const { fromNs, toNs } = timeRange(p);
    const series = addVolume(plan, await q.stats(plan.matchers, fromNs, toNs));
    const at = seconds(toNs);
    const result = topVolumeKeys(series, limit).map((key) => {
      const s = series.get(key)!;
      return { metric: s.metric, value: [at, String(s.bytes)] };
    });
    sendData(r, "vector", JSON.stringify(result));
  });

  route("/loki/api/v1/index/volume_range", async (r, p, q) => {
    const { plan, limit } = volumeRequest(p);
    const { fromNs, toNs } = timeRange(p);
    const stepNs = lokiDurationParam(p, "step") ?? defaultStepNs(fromNs, toNs);
    checkSteps(fromNs, toNs, stepNs);
    // One bucket per step from start: [t, t + step) cut at end, its point at t (start = end reads
    // the one instant).
    const totals = new Map<string, VolumeSeries>();
    const buckets: { tsNs: bigint; series: Map<string, VolumeSeries> }[] = [];
    for (let t = fromNs; t < toNs || (t === fromNs && t === toNs); t += stepNs) {
      const end = t + stepNs < toNs ? t + stepNs : toNs;
      const stats = await q.stats(plan.matchers, t, end > t ? end : t + 1n);
      buckets.push({ tsNs: t, series: addVolume(plan, stats) });
      addVolume(plan, stats, totals);
      if (r.signal.aborted) throw new HttpError("canceled", "the query was canceled: the client went away");
    }
    const result = topVolumeKeys(totals, limit).map((key) => ({
      metric: totals.get(key)!.metric,
      values: buckets.flatMap((b) => {
        const s = b.series.get(key);
        return s === undefined ? [] : [[seconds(b.tsNs), String(s.bytes)]];
      }),
    }));
    sendData(r, "matrix", JSON.stringify(result));
  });

  route("/loki/api/v1/format_query", async (r, p) => {
    const text = formatLogQL(parseQuery(requiredParam(p, "query")));
    sendJSON(r.res, 200, { status: "success", data: text });
  });

  registerLokiTail(router, deps);

  router.on(
    "GET",
    "/loki/api/v1/status/buildinfo",
    (r) =>
      sendJSON(r.res, 200, {
        version: deps.version,
        revision: "",
        branch: "",
        buildUser: "",
        buildDate: "",
        goVersion: "",
      }),
    { errors: "text" },
  );
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** `start`/`end`/`since` as a querier range (default: the hour before now). */
function timeRange(p: URLSearchParams): LogTimeRange {
  const { startNs, endNs } = lokiTimeRange(p, nowNs());
  return { fromNs: startNs, toNs: endNs };
}

/** 400 for a step that is not positive or gives more than {@link MAX_STEPS} points. */
function checkSteps(startNs: bigint, endNs: bigint, stepNs: bigint): void {
  if (stepNs <= 0n)
    throw new HttpError(
      "bad_data",
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  if ((endNs - startNs) / stepNs > BigInt(MAX_STEPS))
    throw new HttpError(
      "bad_data",
      `exceeded maximum resolution of ${MAX_STEPS.toLocaleString("en-US")} points per timeseries. Try increasing the value of the step parameter`,
    );
}

/** The grouping and limit of a volume request (`query` required, `targetLabels`, `aggregateBy`, `limit`). */
function volumeRequest(p: URLSearchParams): { plan: VolumePlan; limit: number } {
  const matchers: Matcher[] = selectorMatchers(requiredParam(p, "query"), "query");
  const plan = volumePlan(matchers, targetLabelsParam(p), volumeAggregationParam(p));
  return { plan, limit: volumeLimitParam(p) };
}

/** Loki's default step: `max(floor((end − start) / 250), 1s)`, in whole seconds. */
function defaultStepNs(startNs: bigint, endNs: bigint): bigint {
  const s = (endNs - startNs) / 250n / NS_PER_S;
  return (s > 1n ? s : 1n) * NS_PER_S;
}

/** Runs an evaluation, mapping the engine's errors to statuses: 400 for a bad query, 422 for a failed one. */
async function run<T>(r: RouteRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LogQLEvalError)
      throw new HttpError(err.code === "matching_error" ? "execution" : "bad_data", err.message);
    if (r.signal.aborted) throw new HttpError("canceled", "the query was canceled: the client went away");
    throw err;
  }
}

function sendData(r: RouteRequest, resultType: string, resultJSON: string): void {
  sendRawJSON(
    r.res,
    200,
    `{"status":"success","data":{"resultType":"${resultType}","result":${resultJSON},"stats":{}}}`,
  );
}

function sendList(r: RouteRequest, items: readonly string[]): void {
  sendRawJSON(r.res, 200, `{"status":"success","data":${JSON.stringify(items)}}`);
}

function sendMetric(r: RouteRequest, result: MetricResult): void {
  switch (result.kind) {
    case "scalar":
      sendData(r, "scalar", JSON.stringify([seconds(result.tsNs), formatValue(result.value)]));
      return;
    case "vector":
      sendData(
        r,
        "vector",
        JSON.stringify(
          result.samples.map((s) => ({
            metric: s.labels.toRecord(),
            value: [seconds(s.tsNs), formatValue(s.value)],
          })),
        ),
      );
      return;
    case "matrix":
      sendData(
        r,
        "matrix",
        JSON.stringify(
          result.series.map((s) => ({
            metric: s.labels.toRecord(),
            values: s.points.map(([t, v]) => [seconds(t), formatValue(v)]),
          })),
        ),
      );
  }
}

/** Unix ns as float seconds with ms precision. */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000n) / 1000;
}

/** A sample value as Prometheus writes it: `NaN`, `+Inf`, `-Inf`, or the shortest decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}
