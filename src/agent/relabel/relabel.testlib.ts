import { parse as parseYAML } from "yaml";
import { Labels } from "../../model/labels.js";
import type { NameValidation } from "./label-name.js";
import { compileRelabel } from "./program.js";
import { relabelConfigSchemaFor } from "./schema.js";

/** What relabeling made of a label set: the labels, or "dropped". */
export type Outcome = Record<string, string> | "dropped";

/** Parses `rules` (YAML, a list of relabel configs) as the agent's config would, compiles and applies them. */
export function relabel(
  rules: string,
  input: Record<string, string>,
  scheme: NameValidation = "utf8",
): Outcome {
  const configs = relabelConfigSchemaFor(scheme).array().parse(parseYAML(rules));
  const out = compileRelabel(configs, { nameValidation: scheme }).apply(Labels.fromRecord(input));
  return out === undefined ? "dropped" : out.toRecord();
}
