import type { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import { sendPromData, sendRawJSON } from "../../server/http/reply.js";
import type { ExemplarStore } from "../exemplars/exemplar-store.js";
import type { MetadataStore } from "../metadata/metadata-store.js";
import {
  formatTimestampJSON,
  formatValue,
  labelsJSON,
  MAX_TIME_MS,
  MIN_TIME_MS,
  PromQLError,
  parseExpr,
  walk,
} from "../promql/index.js";
import { goJSON } from "./go-json.js";
import { timeParam } from "./params.js";
import type { PromRoute } from "./prom-route.js";

/**
 * `/api/v1/metadata` and `/api/v1/query_exemplars`: what remote-write brings besides samples
 * (shared/reference/prom-api.md §2–3), read across the request's tenants as one dataset.
 */
export function registerMetadataApi(
  route: PromRoute,
  deps: { readonly metadata: MetadataStore; readonly exemplars: ExemplarStore },
): void {
  // `{"<family>":[{"type":…,"help":…,"unit":…}],…}`, families sorted as Go writes a map.
  route(["GET"], "/api/v1/metadata", async (r, p, tenants) => {
    const families = deps.metadata.query(tenants, {
      metric: p.get("metric") ?? "",
      limit: intParam(p, "limit"),
      limitPerMetric: intParam(p, "limit_per_metric"),
    });
    const parts = families.map(([family, entries]) => `${goJSON(family)}:${goJSON(entries)}`);
    sendPromData(r.res, `{${parts.join(",")}}`);
  });

  // `[{"seriesLabels":{…},"exemplars":[{"labels":{…},"value":"6","timestamp":1600096945.479}]}]`
  route(["GET", "POST"], "/api/v1/query_exemplars", async (r, p, tenants) => {
    const start = timeParam(p, "start", MIN_TIME_MS);
    const end = timeParam(p, "end", MAX_TIME_MS);
    if (end < start) throw new HttpError("bad_data", "end timestamp must not be before start timestamp");
    const sets = selectorMatchers(p.get("query") ?? "");
    if (sets.length === 0) {
      // A query without selectors selects nothing: Prometheus answers without `data`.
      sendRawJSON(r.res, 200, '{"status":"success"}');
      return;
    }
    const parts = deps.exemplars.select(tenants, start, end, sets).map((s) => {
      const exemplars = s.exemplars.map(
        (e) =>
          `{"labels":${labelsJSON(e.labels)},"value":"${formatValue(e.value)}","timestamp":${formatTimestampJSON(e.t)}}`,
      );
      return `{"seriesLabels":${labelsJSON(s.seriesLabels)},"exemplars":[${exemplars.join(",")}]}`;
    });
    sendPromData(r.res, `[${parts.join(",")}]`);
  });
}

/** The matchers of every vector selector of `query` (those inside range selectors too); 400 if it does not parse. */
function selectorMatchers(query: string): Matcher[][] {
  let expr: ReturnType<typeof parseExpr>;
  try {
    expr = parseExpr(query);
  } catch (err) {
    if (err instanceof PromQLError) throw new HttpError("bad_data", err.message);
    throw err;
  }
  const sets: Matcher[][] = [];
  walk(expr, (node) => {
    if (node.type === "VectorSelector") sets.push([...node.matchers]);
  });
  return sets;
}

/** An integer parameter as Go's `strconv.Atoi` reads it; -1 when absent; 400 (Prometheus's message) otherwise. */
function intParam(p: URLSearchParams, name: string): number {
  const raw = p.get(name);
  if (raw === null || raw === "") return -1;
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    throw new HttpError("bad_data", `${name} must be a number`);
  return Number(raw);
}
