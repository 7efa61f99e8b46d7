import { newCtx } from "../../model/context.js";
import { Labels } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import { readParams } from "../../server/http/body.js";
import { requireLoopback } from "../../server/http/loopback.js";
import { sendPromData } from "../../server/http/reply.js";
import type { RouteRequest, Router } from "../../server/http/router.js";
import { requestTenants } from "../../server/http/tenant.js";
import {
  type Engine,
  MAX_TIME_MS,
  MIN_TIME_MS,
  PromQLError,
  parseSeriesSelector,
  resultToJSON,
} from "../promql/index.js";
import type { Querier, Queryable } from "../storage/interface.js";
import { collectSeries } from "../storage/series-set.js";
import { durationParam, limitParam, requiredParam, timeParam } from "./params.js";

/** Most points one series of a range query may have, as in Prometheus. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** What the Prometheus query API needs. */
export interface PromApiDeps {
  readonly queryable: Queryable;
  readonly engine: Engine;
  /** Default and upper bound of a query's timeout (ms): `metrics.query_timeout`. */
  readonly queryTimeoutMs: number;
  /** `server.max_query_body_bytes`. */
  readonly maxBodyBytes: number;
  readonly version: string;
}

/**
 * Registers the Prometheus HTTP API (shared/reference/prom-api.md): instant and range queries,
 * series, label names and values, build info. Every endpoint takes GET and form POST; the tenant
 * comes from `X-Scope-OrgID`, and several tenants joined by `|` are read as one dataset.
 */
export function registerPromApi(router: Router, deps: PromApiDeps): void {
  const both = ["GET", "POST"];
  const route = (
    methods: string[],
    path: string,
    fn: (r: RouteRequest, p: URLSearchParams, tenants: string[]) => Promise<void>,
  ) =>
    router.on(methods, path, async (r) => {
      requireLoopback(r.raw);
      const tenants = requestTenants(r.raw);
      const params = await readParams(r.raw, r.url, deps.maxBodyBytes);
      await fn(r, params, tenants);
    });

  route(both, "/api/v1/query", async (r, p, tenants) => {
    const query = requiredParam(p, "query");
    const time = timeParam(p, "time", Date.now());
    const ctx = newCtx(tenants, { signal: r.signal, timeoutMs: timeout(p, deps.queryTimeoutMs) });
    const result = await run(() => deps.engine.instantQuery(ctx, deps.queryable, query, time));
    sendPromData(r.res, resultToJSON(result), result.warnings);
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
    const ctx = newCtx(tenants, { signal: r.signal, timeoutMs: timeout(p, deps.queryTimeoutMs) });
    const result = await run(() => deps.engine.rangeQuery(ctx, deps.queryable, query, start, end, step));
    sendPromData(r.res, resultToJSON(result), result.warnings);
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

  /** Names or values of series matching any `match[]` (all series without one), sorted, within start/end. */
  const labelList = async (
    r: RouteRequest,
    p: URLSearchParams,
    tenants: string[],
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
      sendPromData(r.res, JSON.stringify(data), warnings);
    } finally {
      q.close();
    }
  };

  route(both, "/api/v1/labels", (r, p, tenants) => labelList(r, p, tenants, (q, m) => q.labelNames(m)));

  route(["GET"], "/api/v1/label/:name/values", (r, p, tenants) => {
    const name = unescapeLabelName(r.params.name ?? "");
    return labelList(r, p, tenants, (q, m) => q.labelValues(name, m));
  });

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

function timeout(p: URLSearchParams, max: number): number {
  const asked = durationParam(p, "timeout");
  return asked === undefined ? max : Math.min(asked, max);
}

function truncate<T>(items: T[], limit: number): [T[], string[]] {
  if (limit <= 0 || items.length <= limit) return [items, []];
  return [items.slice(0, limit), [`results truncated due to limit`]];
}

/** Maps engine errors to API errors by their code: parse → bad_data, runtime → execution, timeout, canceled. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PromQLError) throw new HttpError(err.code, err.message);
    throw err;
  }
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
