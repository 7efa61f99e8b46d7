/**
 * The `template` stage: renders a Go template and stores the result as extracted value `source`
 * (creating it when absent). `.Value` is the current value of `source`; the functions are those of
 * LogQL's `line_format` (ToUpper, ToLower, Replace, Trim*, regexReplaceAll, …). A template that fails
 * at run time leaves the value unchanged.
 */
import type { ConfigReader } from "./config.js";
import { valueToString } from "./entry.js";
import { compileStageTemplate } from "./go-template.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles a `template` stage. */
export function templateStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const source = r.string("source", "the extracted name the result is stored in");
  const text = r.string("template", "a Go template such as '{{ ToUpper .Value }}'");
  r.done();
  const render = compileStageTemplate(r, "template", text);
  return mapStage(next, (e) => {
    try {
      e.extracted.set(source, render(e, valueToString(e.extracted.get(source))));
    } catch {
      // Runtime template errors leave the value as it was.
    }
  });
}
