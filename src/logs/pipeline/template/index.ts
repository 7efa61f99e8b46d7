/**
 * Go's text/template, as LogQL's `line_format` and `label_format` use it, with Loki's template
 * functions. {@link compileTemplate} parses once per query; the function it returns runs per entry.
 */
import { execute, isFunction, type TemplateData } from "./exec.js";
import { parse } from "./parser.js";

export { TemplateError, TemplateExecError } from "./errors.js";
export type { TemplateData } from "./exec.js";
export { parseTime, TimeParseError } from "./go-time-parse.js";
export { loadZone, type ZoneLookup } from "./zone.js";

/**
 * Compiles `text` (Go template syntax). Throws {@link TemplateError} with line, column and offset
 * on bad syntax or an unknown function. The returned function renders one entry and throws
 * {@link TemplateExecError} on a runtime error (wrong argument type, division by zero, output or
 * step limits); the caller then sets `__error__="TemplateFormatErr"` and keeps the entry.
 */
export function compileTemplate(text: string): (data: TemplateData) => string {
  const nodes = parse(text, isFunction);
  const first = nodes[0];
  if (nodes.length === 1 && first?.kind === "text") {
    const constant = first.text;
    return () => constant;
  }
  if (nodes.length === 0) return () => "";
  return (data) => execute(nodes, data);
}
