import { Labels } from "../../model/labels.js";
import type { EvalSeries } from "./value.js";

/**
 * `sort`, `sort_desc`, `sort_by_label` and `sort_by_label_desc`. They only order an instant
 * query's result (a range query's matrix is always sorted by labels) and keep metric names.
 */

/** Orders one-point series by value, ascending or descending; NaN goes last either way. */
export function sortByValue(series: readonly EvalSeries[], descending: boolean): EvalSeries[] {
  return [...series].sort((a, b) => {
    const x = a.vs[0]!;
    const y = b.vs[0]!;
    const nx = Number.isNaN(x);
    const ny = Number.isNaN(y);
    if (nx || ny) return nx === ny ? 0 : nx ? 1 : -1;
    return descending ? y - x : x - y;
  });
}

const CHUNK = /\d+|\D+/g;

/** Natural order of two strings: runs of digits compare as numbers (`cpu2` < `cpu10`). */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(CHUNK) ?? [];
  const cb = b.match(CHUNK) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const tx = x.replace(/^0+(?=\d)/, "");
      const ty = y.replace(/^0+(?=\d)/, "");
      if (tx.length !== ty.length) return tx.length - ty.length;
      if (tx !== ty) return tx < ty ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** Orders series by the values of `names` in natural order, then by their whole label sets. */
export function sortByLabels(
  series: readonly EvalSeries[],
  names: readonly string[],
  descending: boolean,
): EvalSeries[] {
  const sign = descending ? -1 : 1;
  return [...series].sort((a, b) => {
    for (const n of names) {
      const c = naturalCompare(a.labels.get(n), b.labels.get(n));
      if (c !== 0) return sign * c;
    }
    return sign * Labels.compare(a.labels, b.labels);
  });
}
