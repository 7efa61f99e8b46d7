import { type Labels, METRIC_NAME } from "../../model/labels.js";
import { translateRE2 } from "../../model/re2.js";
import { ExecutionError } from "./errors.js";
import { isWellFormedText, quoteString } from "./string-literal.js";
import { type EvalSeries, mergeSameLabels } from "./value.js";

/**
 * `label_replace` and `label_join`: they rewrite label sets, never values, and keep the metric
 * name (with delayed name removal, writing `__name__` cancels a pending removal).
 */

/** Whether `name` may be used as a label name: non-empty valid UTF-8 (Prometheus 3 allows any such name). */
export function isValidLabelName(name: string): boolean {
  return name !== "" && isWellFormedText(name);
}

/**
 * Expands `$1`, `${1}`, `$name`, `${name}` and `$$` in `template` like Go's
 * `Regexp.ExpandString`: unknown groups expand to "", a `$` not followed by a name stays literal.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i;
    if (template[i] === "{") {
      const m = /^\{([a-zA-Z0-9_]+)\}/.exec(template.slice(i));
      if (m) {
        name = m[1]!;
        end = i + m[0].length;
      }
    } else {
      const m = /^[a-zA-Z0-9_]+/.exec(template.slice(i));
      if (m) {
        name = m[0];
        end = i + m[0].length;
      }
    }
    if (name === undefined) {
      out += "$";
      continue;
    }
    i = end;
    if (/^\d+$/.test(name) && !(name.length > 1 && name[0] === "0")) {
      out += match[Number(name)] ?? "";
    } else {
      out += match.groups?.[name] ?? "";
    }
  }
  return out;
}

/** Applies `label_replace(v, dst, replacement, src, regex)` to every series. */
export function labelReplace(
  series: readonly EvalSeries[],
  dst: string,
  replacement: string,
  src: string,
  regex: string,
): EvalSeries[] {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${translateRE2(regex)})$`, "su");
  } catch (err) {
    throw new ExecutionError(
      `invalid regular expression in label_replace(): ${regex}: ${(err as Error).message}`,
    );
  }
  if (!isValidLabelName(dst))
    throw new ExecutionError(`invalid destination label name in label_replace(): ${quoteString(dst)}`);
  const out = series.map((s) => {
    const m = re.exec(s.labels.get(src));
    if (!m) return s;
    const value = expandTemplate(replacement, m);
    return relabel(s, s.labels.with(dst, value), dst);
  });
  return mergeSameLabels(out);
}

/** Applies `label_join(v, dst, separator, src...)` to every series. */
export function labelJoin(
  series: readonly EvalSeries[],
  dst: string,
  separator: string,
  srcs: readonly string[],
): EvalSeries[] {
  if (!isValidLabelName(dst))
    throw new ExecutionError(`invalid destination label name in label_join(): ${quoteString(dst)}`);
  for (const s of srcs) {
    if (!isWellFormedText(s))
      throw new ExecutionError(`invalid source label name in label_join(): ${quoteString(s)}`);
  }
  const out = series.map((s) => {
    const value = srcs.map((name) => s.labels.get(name)).join(separator);
    return relabel(s, s.labels.with(dst, value), dst);
  });
  return mergeSameLabels(out);
}

function relabel(s: EvalSeries, labels: Labels, dst: string): EvalSeries {
  const dropName = dst === METRIC_NAME ? false : s.dropName;
  return { labels, ts: s.ts, vs: s.vs, dropName };
}
