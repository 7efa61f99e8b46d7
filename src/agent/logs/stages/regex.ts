/**
 * The `regex` stage: matches an RE2 expression against the line (or an extracted value, `source`)
 * and sets one extracted value per named group that took part in the match. No match is not an
 * error (see entry.ts).
 */
import { translateRE2 } from "../../../model/re2.js";
import type { ConfigReader } from "./config.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles an RE2 expression of field `field`, with errors naming it. `flags` are JavaScript flags beside `su`. */
export function compileRE2Field(r: ConfigReader, field: string, pattern: string, flags = ""): RegExp {
  try {
    return new RegExp(translateRE2(pattern), `su${flags}`);
  } catch (err) {
    throw r.error(
      field,
      `invalid RE2 regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`,
    );
  }
}

/** Compiles a `regex` stage. */
export function regexStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const pattern = r.string("expression", "an RE2 regular expression with named groups (?P<name>…)");
  const source = r.optString("source");
  r.done();
  const re = compileRE2Field(r, "expression", pattern);
  if (!/\(\?P?<[A-Za-z_]/.test(pattern)) {
    throw r.error("expression", "has no named capture group (?P<name>…); the stage would extract nothing");
  }
  return mapStage(next, (e) => {
    const text = source === undefined ? e.line : e.extracted.get(source);
    if (typeof text !== "string") return;
    const groups = re.exec(text)?.groups;
    if (groups === undefined) return;
    for (const name in groups) {
      const v = groups[name];
      if (v !== undefined) e.extracted.set(name, v);
    }
  });
}
