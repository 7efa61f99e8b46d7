import type { Stage } from "../logql/index.js";
import type { SelectHint } from "../store/index.js";

/**
 * The store hint of a pipeline: the substrings of its leading `|= "…"` filters — those before any
 * stage that parses or rewrites the line, so they see the line as stored. Every line the pipeline
 * keeps contains all of them, so the store may skip other lines without decoding them. Alternatives
 * (`|= "a" or "b"`), `ip()` and empty needles give no hint.
 */
export function selectHint(pipeline: readonly Stage[]): SelectHint | undefined {
  const contains: string[] = [];
  for (const stage of pipeline) {
    if (stage.kind !== "lineFilter") break;
    if (stage.op !== "|=" || stage.values.length !== 1) continue;
    const v = stage.values[0]!;
    if (!v.ip && v.value !== "") contains.push(v.value);
  }
  return contains.length === 0 ? undefined : { lineContains: contains };
}
