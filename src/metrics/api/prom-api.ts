import { type Ctx, newCtx } from "../../model/context.js";
import { Labels } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import { readParams } from "../../server/http/body.js";
import { requireLoopback } from "../../server/http/loopback.js";
import { sendPromData } from "../../server/http/reply.js";
import type { RouteRequest, Router } from "../../server/http/router.js";
import { requestTenants } from "../../server/http/tenant.js";
import type { ExemplarStore } from "../exemplars/exemplar-store.js";
import type { TenantLimits } from "../limits/index.js";
import type { MetadataStore } from "../metadata/metadata-store.js";
import {
  type Engine,
  MAX_TIME_MS,
  MIN_TIME_MS,
  parseSeriesSelector,
  type QueryOptions,
  type QueryResult,
  resultToJSON,
} from "../promql/index.js";
import type { Querier, Queryable } from "../storage/interface.js";
import { collectSeries } from "../storage/series-set.js";
import { splitAnnotations } from "./annotations.js";
import { registerExpressionApi } from "./expression-api.js";
import { registerMetadataApi } from "./metadata-api.js";
import { durationParam, limitParam, requiredParam, timeParam } from "./params.js";
import type { PromRoute } from "./prom-route.js";
import { checkSeriesLimit, limitResult, queryError, queryTimeout, resultSeries } from "./read-limits.js";

/** Most points one series of a range query may have, as in Prometheus. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** What the Prometheus query API needs. */
export interface PromApiDeps {
  readonly queryable: Queryable;
  /**
   * The engine for queries that may hold `maxSamples` samples at once (the strictest
   * `max_samples_per_query` of their tenants); called once per distinct value.
   */
  readonly engine: (maxSamples: number) => Engine;
  /** Per-tenant read limits (`metrics.limits`, `metrics.tenant_limits`). */
  readonly limits: TenantLimits;
  /** Metric metadata from remote-write, for `/api/v1/metadata`. */
  readonly metadata: MetadataStore;
  /** Exemplars from remote-write, for `/api/v1/query_exemplars`. */
  readonly exemplars: ExemplarStore;
  /** `server.max_query_body_bytes`. */
  readonly maxBodyBytes: number;
  readonly version: string;
}

/**
 * Registers the Prometheus HTTP API (shared/reference/prom-api.md): instant and range queries,
 * series, label names and values, metadata, exemplars, query formatting and parsing, build info.
 * Every endpoint but label values and metadata takes GET and form POST; the tenant comes from
 * `X-Scope-OrgID`, and several tenants joined by `|` are read as one dataset, under the strictest
 * of their read limits.
 */
export function registerPromApi(router: Router, deps: PromApiDeps): void {
  const both = ["GET", "POST"];
  const route: PromRoute = (methods, path, fn) =>
    router.on(methods, path, async (r) => {
      requireLoopback(r.raw);
      const tenants = requestTenants(r.raw);
      const params = await readParams(r.raw, r.url, deps.maxBodyBytes);
      await fn(r, params, tenants);
    });

  const engines = new Map<number, Engine>();
  const engineFor = (maxSamples: number): Engine => {
    let e = engines.get(maxSamples);
    if (e === undefined) {
      e = deps.engine(maxSamples === 0 ? Number.MAX_SAFE_INTEGER : maxSamples);
      engines.set(maxSamples, e);
    }
    return e;
  };

  /**
   * Runs a query under its tenants' limits and answers it: the `limit` parameter truncates the
   * result (with a warning), `max_series_per_query` refuses a larger one.
   */
  const answerQuery = async (
    r: RouteRequest,
    p: URLSearchParams,
    tenants: string[],
    exec: (engine: Engine, ctx: Ctx, opts: QueryOptions) => Promise<QueryResult>,
  ): Promise<void> => {
    const limit = limitParam(p);
    const lookback = durationParam(p, "lookback_delta");
    const opts: QueryOptions = lookback !== undefined && lookback > 0 ? { lookbackDeltaMs: lookback } : {};
    const maxSamples = deps.limits.strictest(tenants, "max_samples_per_query");
    const timeout = queryTimeout(p, tenants, deps.limits);
    const ctx = newCtx(tenants, { signal: r.signal, ...(timeout.ms > 0 ? { timeoutMs: timeout.ms } : {}) });
    let result: QueryResult;
    try {
      result = await exec(engineFor(maxSamples.value), ctx, opts);
    } catch (err) {
      throw queryError(err, ctx.signal, maxSamples, timeout);
    }
    const [answer, truncated] = limitResult(result, limit);
    checkSeriesLimit(resultSeries(answer), "the query's result", tenants, deps.limits);
    const { warnings, infos } = splitAnnotations([...result.warnings, ...truncated]);
    sendPromData(r.res, resultToJSON(answer), warnings, infos);
  };

  route(both, "/api/v1/query", async (r, p, tenants) => {
    const query = requiredParam(p, "query");
    const time = timeParam(p, "time", Date.now());
    await answerQuery(r, p, tenants, (engine, ctx, opts) =>
      engine.instantQuery(ctx, deps.queryable, query, time, opts),
    );
  });

  route(both, "/api/v1/query_range", async (r, p, tenants) => {
    const query = requiredParam(p, "query");
    const start = timeParam(p, "start", Number.NaN);
    const end = timeParam(p, "end", Number.NaN);
    if (Number.isNaN(start)) throw new HttpError("bad_data", 'invalid parameter "start": missing');
    if (Number.isNaN(end)) throw new HttpError("bad_data", 'invalid parameter "end": missing');
    if (end < start)
      throw new HttpError("bad_data", 'invalid parameter "end": end timestamp must not be before start time');
    const step = durationParam(p, "step");
    if (step === undefined) throw new HttpError("bad_data", 'invalid parameter "step": missing');
    if (step <= 0)
      throw new HttpError(
        "bad_data",
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    if ((end - start) / step > MAX_POINTS_PER_SERIES) {
      throw new HttpError(
        "bad_data",
        `exceeded maximum resolution of ${MAX_POINTS_PER_SERIES.toLocaleString("en-US")} points per timeseries. Try decreasing the query resolution (?step=XX)`,
      );
    }
    await answerQuery(r, p, tenants, (engine, ctx, opts) =>
      engine.rangeQuery(ctx, deps.queryable, query, start, end, step, opts),
    );
  });

  route(both, "/api/v1/series", async (r, p, tenants) => {
    const sets = matchParams(p);
    if (sets.length === 0) throw new HttpError("bad_data", "no match[] parameter provided");
    const limit = limitParam(p);
    const q = deps.queryable.querier(
      newCtx(tenants, { signal: r.signal }),
      timeParam(p, "start", MIN_TIME_MS),
      timeParam(p, "end", MAX_TIME_MS),
    );
    // Past max_series_per_query the answer is refused, unless `limit` truncates it below that.
    const max = deps.limits.strictest(tenants, "max_series_per_query").value;
    const refuseAt = max > 0 && (limit === 0 || limit > max) ? max : Number.POSITIVE_INFINITY;
    try {
      const seen = new Map<string, Record<string, string>>();
      const order: { key: string; labels: Labels }[] = [];
      for (const matchers of sets) {
        for (const s of collectSeries(
          await q.select(matchers, { start: MIN_TIME_MS, end: MAX_TIME_MS, labelsOnly: true }),
        )) {
          const key = s.labels.key();
          if (seen.has(key)) continue;
          seen.set(key, s.labels.toRecord());
          order.push({ key, labels: s.labels });
          if (order.length > refuseAt) checkSeriesLimit(order.length, "/api/v1/series", tenants, deps.limits);
        }
      }
      order.sort((a, b) => Labels.compare(a.labels, b.labels));
      const all = order.map((o) => seen.get(o.key)!);
      const [data, warnings] = truncate(all, limit);
      sendPromData(r.res, JSON.stringify(data), warnings);
    } finally {
      q.close();
    }
  });

  /**
   * Names or values of series matching any `match[]` (all series without one), sorted, within
   * start/end; `what` names the answer, `unit` what it lists, for the limit's message.
   */
  const labelList = async (
    r: RouteRequest,
    p: URLSearchParams,
    tenants: string[],
    what: string,
    unit: string,
    list: (q: Querier, m: Matcher[]) => Promise<string[]>,
  ) => {
    const sets = matchParams(p);
    const q = deps.queryable.querier(
      newCtx(tenants, { signal: r.signal }),
      timeParam(p, "start", MIN_TIME_MS),
      timeParam(p, "end", MAX_TIME_MS),
    );
    try {
      const lists = await Promise.all((sets.length === 0 ? [[]] : sets).map((m) => list(q, m)));
      const [data, warnings] = truncate([...new Set(lists.flat())].sort(), limitParam(p));
      checkSeriesLimit(data.length, what, tenants, deps.limits, unit);
      sendPromData(r.res, JSON.stringify(data), warnings);
    } finally {
      q.close();
    }
  };

  route(both, "/api/v1/labels", (r, p, tenants) =>
    labelList(r, p, tenants, "/api/v1/labels", "label names", (q, m) => q.labelNames(m)),
  );

  route(["GET"], "/api/v1/label/:name/values", (r, p, tenants) => {
    const name = unescapeLabelName(r.params.name ?? "");
    return labelList(r, p, tenants, `/api/v1/label/${name}/values`, "values", (q, m) =>
      q.labelValues(name, m),
    );
  });

  registerMetadataApi(route, deps);
  registerExpressionApi(route);

  router.on("GET", "/api/v1/status/buildinfo", (r) => {
    const info = {
      version: deps.version,
      revision: "",
      branch: "",
      buildUser: "",
      buildDate: "",
      goVersion: "",
    };
    sendPromData(r.res, JSON.stringify(info));
  });
}

/** The parsed `match[]` parameters; 400 naming the bad one. */
function matchParams(p: URLSearchParams): Matcher[][] {
  return p.getAll("match[]").map((text) => {
    try {
      return parseSeriesSelector(text);
    } catch (err) {
      throw new HttpError("bad_data", `invalid parameter "match[]": ${(err as Error).message}`);
    }
  });
}

function truncate<T>(items: T[], limit: number): [T[], string[]] {
  if (limit <= 0 || items.length <= limit) return [items, []];
  return [items.slice(0, limit), [`results truncated due to limit`]];
}

/**
 * Decodes Prometheus's `U__` escaping of UTF-8 label names in URL paths: after the prefix, `__` is
 * `_` and `_<hex>_` is the code point <hex>; any other name is returned as it is.
 */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith("U__")) return name;
  let out = "";
  const s = name.slice(3);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "_") {
      out += c;
      continue;
    }
    if (s[i + 1] === "_") {
      out += "_";
      i++;
      continue;
    }
    const end = s.indexOf("_", i + 1);
    const cp = end > i + 1 ? Number.parseInt(s.slice(i + 1, end), 16) : Number.NaN;
    if (!Number.isFinite(cp) || !/^[0-9a-fA-F]+$/.test(s.slice(i + 1, end))) return name;
    out += String.fromCodePoint(cp);
    i = end;
  }
  return out;
}
