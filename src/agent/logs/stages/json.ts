/**
 * The `json` stage: parses the line (or an extracted value, `source`) as a JSON object and sets one
 * extracted value per expression (`name: jmespath`; an empty expression means the name itself).
 * Strings, numbers and booleans keep their type; objects and arrays are stored as their JSON text,
 * as Promtail does. A value that is not a JSON object gets `log_error="json"`, or is dropped with
 * reason `malformed_json` under `drop_malformed: true`.
 */
import type { ConfigReader } from "./config.js";
import { markParseError } from "./entry.js";
import { evalPath, type PathStep, parseJMESPath } from "./jmespath.js";
import { filterStage, type Sink, type StageEnv } from "./sink.js";

/** Drop reason of `json.drop_malformed`. */
export const MALFORMED_JSON = "malformed_json";

/** Compiles a `json` stage. */
export function jsonStage(r: ConfigReader, next: Sink, env: StageEnv): Sink {
  const exprs = r.optStringMap("expressions", true);
  if (exprs === undefined || exprs.size === 0) {
    throw r.error("expressions", "is required: a mapping of extracted names to JMESPath expressions");
  }
  const source = r.optString("source");
  const dropMalformed = r.bool("drop_malformed", false);
  r.done();
  const compiled: [string, PathStep[]][] = [];
  for (const [name, expr] of exprs) {
    try {
      compiled.push([name, parseJMESPath(expr)]);
    } catch (err) {
      throw r.error(`expressions.${name}`, (err as Error).message);
    }
  }
  return filterStage(next, env, (e) => {
    let text: unknown = e.line;
    if (source !== undefined) {
      text = e.extracted.get(source);
      if (text === undefined) return undefined; // nothing to parse: not an error
    }
    const obj = typeof text === "string" ? parseObject(text) : undefined;
    if (obj === undefined) {
      if (dropMalformed) return MALFORMED_JSON;
      markParseError(e, "json");
      return undefined;
    }
    for (const [name, path] of compiled) {
      const v = evalPath(obj, path);
      if (v === undefined || v === null) continue;
      e.extracted.set(name, typeof v === "object" ? JSON.stringify(v) : v);
    }
    return undefined;
  });
}

function parseObject(text: string): object | undefined {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  try {
    return JSON.parse(text) as object;
  } catch {
    return undefined;
  }
}
