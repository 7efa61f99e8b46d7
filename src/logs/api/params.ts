/**
 * Parameters of Loki's query API, parsed as Loki parses them (shared/reference/loki-api.md §0):
 * times are nanoseconds, seconds or RFC3339; durations are float seconds or Prometheus durations.
 * Every malformed parameter is a 400 naming it.
 */
import { parseDurationMs } from "../../lib/duration/duration.js";
import { Matcher } from "../../model/matcher.js";
import { HttpError } from "../../server/errors.js";
import { type Expr, isLogQuery, type LogQueryExpr, parseLogQL } from "../logql/index.js";

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/**
 * A Loki timestamp as Unix ns: an integer of at most 10 digits is seconds, a longer one nanoseconds;
 * a number with `.` is float seconds rounded to ms; anything else RFC3339 (with up to 9 fraction
 * digits). Undefined when it is none of these.
 */
export function parseLokiTime(text: string): bigint | undefined {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const digits = t.startsWith("-") ? t.length - 1 : t.length;
    return digits <= 10 ? BigInt(t) * NS_PER_S : BigInt(t);
  }
  if (/^-?\d*\.\d*$/.test(t) && t !== "." && t !== "-.") {
    const s = Number(t);
    if (!Number.isFinite(s)) return undefined;
    return BigInt(Math.round(s * 1000)) * NS_PER_MS;
  }
  const m = RFC3339.exec(t);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** A time parameter as Unix ns, or `fallback` when absent. */
export function lokiTimeParam(params: URLSearchParams, name: string, fallback: bigint): bigint {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  const ns = parseLokiTime(raw);
  if (ns === undefined)
    throw new HttpError(
      "bad_data",
      `invalid parameter "${name}": cannot parse ${JSON.stringify(raw)} to a valid timestamp (ns, seconds or RFC3339)`,
    );
  return ns;
}

/** A duration parameter (`5m`, `1.5`) as ns, or undefined when absent. */
export function lokiDurationParam(params: URLSearchParams, name: string): bigint | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const t = raw.trim();
  if (/^-?(\d+\.?\d*|\.\d+)$/.test(t)) return BigInt(Math.round(Number(t) * 1e9));
  const ms = parseDurationMs(t);
  if (ms === undefined)
    throw new HttpError(
      "bad_data",
      `invalid parameter "${name}": cannot parse ${JSON.stringify(raw)} to a valid duration`,
    );
  return BigInt(ms) * NS_PER_MS;
}

/** The `[start, end]` of a request in ns: `end` defaults to now, `start` to `end − since` (default 1h). */
export function lokiTimeRange(params: URLSearchParams, nowNs: bigint): { startNs: bigint; endNs: bigint } {
  const endNs = lokiTimeParam(params, "end", nowNs);
  const since = lokiDurationParam(params, "since") ?? 3600n * NS_PER_S;
  // An end in the future does not push the default start forward (Loki counts `since` back from now).
  const startNs = lokiTimeParam(params, "start", (endNs > nowNs ? nowNs : endNs) - since);
  if (endNs < startNs)
    throw new HttpError("bad_data", 'invalid parameter "end": end timestamp must not be before start time');
  return { startNs, endNs };
}

/** `limit` (default 100), at most `max` (`logs.max_entries_limit_per_query`). */
export function lokiLimitParam(params: URLSearchParams, max: number): number {
  const raw = params.get("limit");
  if (raw === null || raw === "") return Math.min(100, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(
      "bad_data",
      `invalid parameter "limit": ${JSON.stringify(raw)} is not a non-negative integer`,
    );
  if (n > max)
    throw new HttpError(
      "bad_data",
      `max entries limit per query exceeded, limit > max_entries_limit (${n} > ${max}); raise logs.max_entries_limit_per_query`,
    );
  return n;
}

/** `direction`: `backward` (default) or `forward`. */
export function lokiDirectionParam(params: URLSearchParams): "forward" | "backward" {
  const raw = (params.get("direction") ?? "").toLowerCase();
  if (raw === "" || raw === "backward") return "backward";
  if (raw === "forward") return "forward";
  throw new HttpError(
    "bad_data",
    `invalid parameter "direction": ${JSON.stringify(params.get("direction"))}; expected forward or backward`,
  );
}

/** A parameter that must be present and non-empty; 400 naming it otherwise. */
export function requiredParam(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null || v === "") throw new HttpError("bad_data", `invalid parameter "${name}": missing`);
  return v;
}

/** Parses LogQL; any failure (syntax, a bad regular expression) is a 400 with the parser's message. */
export function parseQuery(text: string): Expr {
  try {
    return parseLogQL(text);
  } catch (err) {
    throw new HttpError("bad_data", (err as Error).message);
  }
}

/** The matchers of a stream selector parameter; 400 for anything but a log query. */
export function selectorMatchers(text: string, param: string): Matcher[] {
  const expr = parseQuery(text);
  if (!isLogQuery(expr))
    throw new HttpError(
      "bad_data",
      `invalid parameter "${param}": expected a stream selector, got a metric query`,
    );
  try {
    return (expr as LogQueryExpr).matchers.map((m) => new Matcher(m.op, m.name, m.value));
  } catch (err) {
    throw new HttpError("bad_data", `invalid parameter "${param}": ${(err as Error).message}`);
  }
}

/** The matchers of the `query` parameter, or undefined when it is absent. */
export function optionalSelector(p: URLSearchParams): Matcher[] | undefined {
  const text = p.get("query");
  return text === null || text === "" ? undefined : selectorMatchers(text, "query");
}
