/**
 * The `drop` stage: drops an entry when every configured condition holds: `source` present (one
 * extracted name, or a list whose values are joined with `separator`), its value equal to `value` or
 * matching `expression` (the line when no `source`), the entry older than `older_than` relative to the
 * caller's clock, the line longer than `longer_than` bytes (UTF-8). Counted under
 * `drop_counter_reason` (default `drop_stage`).
 */
import type { ConfigReader } from "./config.js";
import { type Entry, valueToString } from "./entry.js";
import { compileRE2Field } from "./regex.js";
import { filterStage, type Sink, type StageEnv } from "./sink.js";

/** Default drop reason of the `drop` stage. */
export const DROP_STAGE_REASON = "drop_stage";

/** Compiles a `drop` stage. */
export function dropStage(r: ConfigReader, next: Sink, env: StageEnv): Sink {
  const sources = r.optStringList("source");
  const separator = r.optString("separator") ?? ";";
  const expression = r.optString("expression");
  const value = r.optString("value");
  const olderThanMs = r.optDurationMs("older_than");
  const longerThan = r.optBytes("longer_than");
  const reason = r.optString("drop_counter_reason") || DROP_STAGE_REASON;
  r.done();
  if (value !== undefined && expression !== undefined) {
    throw r.error("value", "cannot be used together with expression; choose one");
  }
  if (value !== undefined && sources === undefined) {
    throw r.error("value", "needs source: the extracted name(s) whose value is compared");
  }
  if (
    sources === undefined &&
    expression === undefined &&
    olderThanMs === undefined &&
    longerThan === undefined
  ) {
    throw r.error(undefined, "needs at least one of source, expression, older_than, longer_than");
  }
  const re = expression === undefined ? undefined : compileRE2Field(r, "expression", expression);
  const olderNs = olderThanMs === undefined ? undefined : BigInt(Math.round(olderThanMs * 1e6));

  const sourceValue = (e: Entry): string | undefined => {
    if (sources === undefined) return e.line;
    if (sources.length === 1) {
      const v = e.extracted.get(sources[0]!);
      return v === undefined ? undefined : valueToString(v);
    }
    let joined = "";
    for (let i = 0; i < sources.length; i++) {
      const v = e.extracted.get(sources[i]!);
      if (v === undefined) return undefined;
      joined += i === 0 ? valueToString(v) : separator + valueToString(v);
    }
    return joined;
  };

  return filterStage(next, env, (e, now) => {
    if (olderNs !== undefined && e.tsNs >= BigInt(now) * 1_000_000n - olderNs) return undefined;
    if (longerThan !== undefined && !isLonger(e.line, longerThan)) return undefined;
    if (sources !== undefined || re !== undefined) {
      const v = sourceValue(e);
      if (v === undefined) return undefined;
      if (value !== undefined && v !== value) return undefined;
      if (re !== undefined && !re.test(v)) return undefined;
    }
    return reason;
  });
}

/** Whether `line` is longer than `bytes` in UTF-8, without encoding it when the length decides. */
function isLonger(line: string, bytes: number): boolean {
  if (line.length > bytes) return true;
  if (line.length * 3 <= bytes) return false;
  return Buffer.byteLength(line, "utf8") > bytes;
}
