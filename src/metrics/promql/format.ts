import type { Labels } from "../../model/labels.js";
import { parseDuration as parsePromDuration } from "./duration.js";
import { BadQueryError } from "./errors.js";
import { formatFloatE, formatFloatF, parseGoFloat } from "./float-text.js";
import type { QueryResult } from "./result.js";

/**
 * The Prometheus HTTP API's number, time and result encodings (prom-api.md §1–2), written by
 * string building for speed.
 */

/**
 * A sample value as the API writes it (without quotes): shortest round-trip decimal, exponent
 * form like Go's when |v| < 1e-6 or ≥ 1e21 (`1e-07`, `1e+21`), and `NaN`, `+Inf`, `-Inf`.
 */
export function formatValue(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21) && Number.isFinite(v)) return formatFloatE(v);
  return formatFloatF(v);
}

/**
 * A timestamp in ms as the API writes it, a JSON number in seconds: `<sec>` when the ms part is
 * 0, else `<sec>.<3 digits>` with trailing zeros kept (`1.500`, `-0.250`).
 */
export function formatTimestampJSON(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(Math.trunc(ms));
  const sec = Math.floor(abs / 1000);
  const frac = abs % 1000;
  const head = `${neg ? "-" : ""}${sec}`;
  return frac === 0 ? head : `${head}.${String(frac).padStart(3, "0")}`;
}

/** A timestamp in ms as a number of seconds (`1500` → `1.5`). */
export function formatTimestamp(ms: number): number {
  return ms / 1000;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The boundary times Prometheus writes for "no limit" (Go's `MinTime`/`MaxTime` in RFC 3339). */
const MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";
/**
 * Prometheus's earliest time ("no lower limit"), ms: what {@link parseTime} returns for its
 * RFC 3339 form. Beyond 2^53, so only approximately Go's value; use it as a bound, not for arithmetic.
 */
export const MIN_TIME_MS = -9_223_309_901_257_974_000;
/** Prometheus's latest time ("no upper limit"), ms; see {@link MIN_TIME_MS}. */
export const MAX_TIME_MS = 9_223_309_901_257_974_000;

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Parses an API time parameter into Unix ms: float seconds (rounded to the ms), RFC 3339 with
 * optional fraction (truncated to the ms), or Prometheus's min/max time strings. Throws
 * {@link BadQueryError} otherwise.
 */
export function parseTime(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined) {
    if (!Number.isFinite(f))
      throw new BadQueryError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
    const whole = Math.trunc(f);
    return whole * 1000 + roundHalfAway((f - whole) * 1000);
  }
  const m = RFC3339.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, sec, frac, zone] = m;
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    if (
      Number(mo) < 1 ||
      Number(mo) > 12 ||
      Number(d) < 1 ||
      Number(d) > 31 ||
      Number(h) > 23 ||
      Number(mi) > 59 ||
      Number(sec) > 59
    ) {
      throw new BadQueryError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
    }
    if (frac) ms += Math.trunc(Number(`0${frac}`) * 1000);
    if (zone && zone !== "Z") {
      const sign = zone[0] === "-" ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
    return ms;
  }
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  throw new BadQueryError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/**
 * Parses an API duration parameter into ms: float seconds or a Prometheus duration (`5m`,
 * `1h30m`). Throws {@link BadQueryError} otherwise.
 */
export function parseDuration(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined) {
    const ns = f * 1e9;
    if (!Number.isFinite(ns) || Math.abs(ns) >= 2 ** 63) {
      throw new BadQueryError(`cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
    }
    return Math.trunc(Math.trunc(ns) / 1e6);
  }
  const d = parsePromDuration(s);
  if (d.ok) return d.ms;
  throw new BadQueryError(`cannot parse ${JSON.stringify(s)} to a valid duration`);
}

const NEEDS_ESCAPE = /[<>&\u2028\u2029]/;

/** A JSON string literal escaped as Go's encoding/json does (HTML-safe). */
export function jsonString(s: string): string {
  const out = JSON.stringify(s);
  if (!NEEDS_ESCAPE.test(out)) return out;
  return out.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A label set as a JSON object, labels in name order: `{"__name__":"up","job":"api"}`. */
export function labelsJSON(labels: Labels): string {
  const p = labels.pairs;
  let out = "{";
  for (let i = 0; i < p.length; i += 2) {
    if (i > 0) out += ",";
    out += `${jsonString(p[i]!)}:${jsonString(p[i + 1]!)}`;
  }
  return `${out}}`;
}

function pointJSON(t: number, v: number): string {
  return `[${formatTimestampJSON(t)},"${formatValue(v)}"]`;
}

/**
 * The API's `data` object for a result, exactly as Prometheus writes it:
 * `{"resultType":"vector","result":[{"metric":{…},"value":[1.5,"1"]}]}` (matrix: `"values"`,
 * scalar: `[ts,"v"]`, string: `[ts,"s"]`). Warnings are not part of `data`.
 */
export function resultToJSON(result: QueryResult): string {
  switch (result.resultType) {
    case "scalar":
      return `{"resultType":"scalar","result":${pointJSON(result.t, result.v)}}`;
    case "string":
      return `{"resultType":"string","result":[${formatTimestampJSON(result.t)},${jsonString(result.v)}]}`;
    case "vector": {
      const parts = result.series.map(
        (s) => `{"metric":${labelsJSON(s.labels)},"value":${pointJSON(s.t, s.v)}}`,
      );
      return `{"resultType":"vector","result":[${parts.join(",")}]}`;
    }
    case "matrix": {
      const parts = result.series.map((s) => {
        const points: string[] = new Array(s.ts.length);
        for (let i = 0; i < s.ts.length; i++) points[i] = pointJSON(s.ts[i]!, s.vs[i]!);
        return `{"metric":${labelsJSON(s.labels)},"values":[${points.join(",")}]}`;
      });
      return `{"resultType":"matrix","result":[${parts.join(",")}]}`;
    }
  }
}
