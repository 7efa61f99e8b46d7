/**
 * The `logfmt` stage: reads `key=value` pairs from the line (or an extracted value, `source`) and
 * sets the extracted values named in `mapping` (`name: key`; an empty key means the name itself).
 * Uses LogQL's logfmt scanner in strict mode: a line with a syntax error gets `log_error="logfmt"`
 * and sets nothing.
 */
import { scanLogfmt } from "../../../logs/pipeline/index.js";
import type { ConfigReader } from "./config.js";
import { markParseError } from "./entry.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles a `logfmt` stage. */
export function logfmtStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const mapping = r.optStringMap("mapping", true);
  if (mapping === undefined || mapping.size === 0) {
    throw r.error("mapping", "is required: a mapping of extracted names to logfmt keys");
  }
  const source = r.optString("source");
  r.done();
  // logfmt key → extracted names (one key may feed several names).
  const byKey = new Map<string, string[]>();
  for (const [name, key] of mapping) byKey.set(key, [...(byKey.get(key) ?? []), name]);
  const found: [string, string][] = [];
  const visit = (k: string, v: string) => {
    if (byKey.has(k)) found.push([k, v]);
  };
  return mapStage(next, (e) => {
    let text: unknown = e.line;
    if (source !== undefined) {
      text = e.extracted.get(source);
      if (text === undefined) return;
    }
    if (typeof text !== "string") {
      markParseError(e, "logfmt");
      return;
    }
    found.length = 0;
    if (scanLogfmt(text, true, visit) !== undefined) {
      markParseError(e, "logfmt");
      return;
    }
    for (const [k, v] of found) for (const name of byKey.get(k)!) e.extracted.set(name, v);
  });
}
