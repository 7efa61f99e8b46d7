/**
 * The `replace` stage: in the line (or extracted value `source`, written back there), every part
 * matched by a capture group of `expression` is replaced with the rendered `replace` template
 * (`.Value` is the captured text; empty `replace` removes it). Named groups of the first match are
 * also set as extracted values. An expression without groups replaces whole matches.
 */
import type { ConfigReader } from "./config.js";
import type { Entry } from "./entry.js";
import { compileStageTemplate, type StageTemplate } from "./go-template.js";
import { compileRE2Field } from "./regex.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles a `replace` stage. */
export function replaceStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const pattern = r.string("expression", "an RE2 regular expression whose capture groups are replaced");
  const source = r.optString("source");
  const replText = r.optString("replace") ?? "";
  r.done();
  const re = compileRE2Field(r, "expression", pattern, "gd");
  const render = compileStageTemplate(r, "replace", replText);
  return mapStage(next, (e) => {
    const text = source === undefined ? e.line : e.extracted.get(source);
    if (typeof text !== "string") return;
    let out: string;
    try {
      out = replaceAll(re, text, e, render);
    } catch {
      return; // a failing template leaves the value unchanged
    }
    if (source === undefined) e.line = out;
    else e.extracted.set(source, out);
  });
}

function replaceAll(re: RegExp, text: string, e: Entry, render: StageTemplate): string {
  re.lastIndex = 0;
  let out = "";
  let cursor = 0;
  let first = true;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (first && m.groups !== undefined) {
      for (const name in m.groups) {
        const v = m.groups[name];
        if (v !== undefined) e.extracted.set(name, v);
      }
    }
    first = false;
    const idx = m.indices!;
    if (m.length === 1) {
      out += text.slice(cursor, m.index) + render(e, m[0]);
      cursor = m.index + m[0].length;
    } else {
      for (let g = 1; g < m.length; g++) {
        const span = idx[g];
        if (span === undefined || span[0] < cursor) continue; // group absent or nested in one already replaced
        out += text.slice(cursor, span[0]) + render(e, m[g]!);
        cursor = span[1];
      }
    }
    if (m[0].length === 0) re.lastIndex++;
  }
  return out + text.slice(cursor);
}
