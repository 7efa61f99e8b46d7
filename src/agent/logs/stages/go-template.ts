/**
 * Go templates for the `template` and `replace` stages, through the LogQL template engine: the data
 * is the extracted map (`{{ .level }}`), `.Value` (the stage's value) and `.Entry` (the line).
 */
import { compileTemplate } from "../../../logs/pipeline/template/index.js";
import type { ConfigReader } from "./config.js";
import { type Entry, valueToString } from "./entry.js";

/** Renders a template for an entry with `.Value` = `value`; throws on a runtime error. */
export type StageTemplate = (e: Entry, value: string) => string;

/** Compiles template text of field `field`; a text without `{{` costs nothing per line. */
export function compileStageTemplate(r: ConfigReader, field: string, text: string): StageTemplate {
  if (!text.includes("{{")) return () => text;
  let run: ReturnType<typeof compileTemplate>;
  try {
    run = compileTemplate(text);
  } catch (err) {
    throw r.error(field, `invalid Go template: ${(err as Error).message}`);
  }
  return (e, value) => {
    const labels: Record<string, string> = {};
    for (const [k, v] of e.extracted) labels[k] = valueToString(v);
    labels.Value = value;
    labels.Entry = e.line;
    return run({ labels, line: e.line, tsNs: e.tsNs });
  };
}
