/**
 * A query's annotations as Prometheus's API answers them (`annotations.AsStrings(query, 10, 10)`):
 * infos (the messages the engine starts with `PromQL info:`) apart from warnings, at most
 * {@link MAX_ANNOTATIONS} of each, then one line counting those left out.
 */

/** Most warnings, and most infos, one answer carries. */
export const MAX_ANNOTATIONS = 10;

const INFO_PREFIX = "PromQL info:";

/** Splits `annotations` (in the engine's order) into the envelope's `warnings` and `infos`. */
export function splitAnnotations(annotations: readonly string[]): { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  let warningsLeft = 0;
  let infosLeft = 0;
  for (const a of annotations) {
    if (a.startsWith(INFO_PREFIX)) {
      if (infos.length < MAX_ANNOTATIONS) infos.push(a);
      else infosLeft++;
    } else if (warnings.length < MAX_ANNOTATIONS) {
      warnings.push(a);
    } else {
      warningsLeft++;
    }
  }
  if (warningsLeft > 0) warnings.push(`${warningsLeft} more warning annotations omitted`);
  if (infosLeft > 0) infos.push(`${infosLeft} more info annotations omitted`);
  return { warnings, infos };
}
