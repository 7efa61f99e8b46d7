import { translateRE2 } from "../../model/re2.js";
import type { LabelReplaceExpr } from "../logql/index.js";
import { LogQLEvalError } from "./errors.js";
import type { StepSeries, StepValue } from "./step-vector.js";

/**
 * `label_replace(v, dst, replacement, src, regex)`: where `regex` (fully anchored) matches the value of
 * `src`, sets `dst` to `replacement` with `$1`, `${name}` expanded (an empty result removes `dst`);
 * other series pass unchanged.
 */
export function evaluateLabelReplace(expr: LabelReplaceExpr, input: StepValue): StepValue {
  if (input.kind === "scalar") throw new Error("invariant: label_replace over a scalar");
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${translateRE2(expr.regex)})$`, "su");
  } catch (err) {
    throw new LogQLEvalError(
      "bad_query",
      `invalid regular expression ${JSON.stringify(expr.regex)} in label_replace: ${(err as Error).message}`,
    );
  }
  const out = new Map<string, StepSeries>();
  for (const s of input.series.values()) {
    const m = re.exec(s.labels.get(expr.src));
    let labels = s.labels;
    if (m !== null) {
      const v = expand(expr.replacement, m);
      labels = v === "" ? s.labels.without(new Set([expr.dst])) : s.labels.with(expr.dst, v);
    }
    const key = labels.key();
    const prev = out.get(key);
    if (prev !== undefined)
      throw new LogQLEvalError(
        "matching_error",
        `label_replace made two series with the same labels ${labels.toString()}`,
      );
    out.set(key, { labels, values: s.values, present: s.present });
  }
  return { kind: "vector", series: out };
}

/** Expands `$1`, `${1}`, `$name`, `${name}` and `$$` as Go's `Regexp.Expand`. */
export function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (all, braced, bare) => {
    if (all === "$$") return "$";
    const name = (braced ?? bare) as string;
    if (/^\d+$/.test(name)) return m[Number(name)] ?? "";
    return m.groups?.[name] ?? "";
  });
}
