/**
 * Which series satisfy a set of label matchers, answered from postings lists alone, with the
 * semantics of Prometheus's `PostingsForMatchers` (docs/format/index.md, "Answering matchers").
 */
import type { Matcher } from "../../../model/matcher.js";
import { ArrayPostings, allPostings, intersect, type PostingsIterator, subtract, union } from "./postings.js";

/**
 * What the matcher logic needs of an index: label pairs numbered by name, then value (in string
 * order), each with a postings list. {@link IndexReader} is one.
 */
export interface LabelPostingsSource {
  /** Number of series; ids are `0 … seriesCount−1`. */
  readonly seriesCount: number;
  /** The pair numbers of `name`'s values, `[first, end)` in value order; `[0, 0]` when absent. */
  pairRange(name: string): readonly [first: number, end: number];
  /** The pair number of (`name`, `value`), or −1 when no series has that label. */
  pair(name: string, value: string): number;
  /** The value of a pair. */
  pairValue(pair: number): string;
  /** How many series carry a pair. */
  pairSeriesCount(pair: number): number;
  /** A fresh iterator over a pair's series. */
  pairPostings(pair: number): PostingsIterator;
  /** A pair's series, decoded into a new array. */
  pairIds(pair: number): Uint32Array;
}

/**
 * The sorted ids of the series whose labels satisfy every matcher, a matcher on an absent label
 * seeing `""`. Matchers that do not match `""` narrow (their value lists are united, then those
 * sets intersected, smallest first); matchers that match `""` subtract the lists of the values they
 * reject, from all series if nothing narrows. An empty matcher list selects every series.
 * The result is a new array, owned by the caller.
 */
export function postingsForMatchers(ix: LabelPostingsSource, matchers: readonly Matcher[]): Uint32Array {
  const narrowing: { pairs: number[]; count: number }[] = [];
  const removing: number[][] = [];
  for (const m of matchers) {
    if (m.matchesEmpty()) {
      const pairs = matchingPairs(ix, m, true);
      if (pairs.length > 0) removing.push(pairs);
    } else {
      const pairs = matchingPairs(ix, m, false);
      if (pairs.length === 0) return new Uint32Array(0);
      let count = 0;
      for (const p of pairs) count += ix.pairSeriesCount(p);
      narrowing.push({ pairs, count });
    }
  }
  let result: Uint32Array;
  if (narrowing.length === 0) {
    result = allPostings(ix.seriesCount);
  } else {
    narrowing.sort((a, b) => a.count - b.count);
    const first = narrowing[0]!;
    result = materialize(ix, first.pairs);
    for (let i = 1; i < narrowing.length && result.length > 0; i++) {
      const n = narrowing[i]!;
      result = intersect(result, iterate(ix, n.pairs));
    }
  }
  for (const pairs of removing) {
    if (result.length === 0) break;
    result = subtract(result, iterate(ix, pairs));
  }
  return result;
}

/**
 * The pairs of `m.name` whose value `m` accepts (or, with `invert`, rejects), ascending. Cheap
 * cases skip testing every value: `=`/`!=` look one value up, `.*`/`.+` accept every value
 * (label values are never empty), and a plain alternation such as `a|b|c` looks each literal up.
 */
function matchingPairs(ix: LabelPostingsSource, m: Matcher, invert: boolean): number[] {
  const [first, end] = ix.pairRange(m.name);
  if (first === end) return [];
  const all = (): number[] => range(first, end);
  const where = (keep: (value: string) => boolean): number[] => {
    const out: number[] = [];
    for (let p = first; p < end; p++) if (keep(ix.pairValue(p))) out.push(p);
    return out;
  };
  const one = (value: string): number[] => {
    const p = ix.pair(m.name, value);
    return p < 0 ? [] : [p];
  };
  switch (m.type) {
    case "=":
      return invert ? where((v) => v !== m.value) : one(m.value);
    case "!=":
      return invert ? one(m.value) : where((v) => v !== m.value);
    case "=~":
    case "!~": {
      const accept = (m.type === "=~") !== invert; // true: the pairs whose value the regex matches
      if (m.value === ".*" || m.value === ".+") return accept ? all() : [];
      const literals = literalAlternatives(m.value);
      if (literals !== undefined) {
        if (!accept) return where((v) => !literals.has(v));
        const out: number[] = [];
        for (const lit of literals) {
          const p = ix.pair(m.name, lit);
          if (p >= 0) out.push(p);
        }
        return out.sort((a, b) => a - b);
      }
      return where((v) => m.matches(v) !== invert);
    }
  }
}

/** The decoded union of the lists of `pairs` (pairs of one name are disjoint). */
function materialize(ix: LabelPostingsSource, pairs: readonly number[]): Uint32Array {
  if (pairs.length === 1) return ix.pairIds(pairs[0]!);
  return union(pairs.map((p) => ix.pairIds(p)));
}

/** An iterator over the union of the lists of `pairs`: lazy for one list, decoded for several. */
function iterate(ix: LabelPostingsSource, pairs: readonly number[]): PostingsIterator {
  if (pairs.length === 1) return ix.pairPostings(pairs[0]!);
  return new ArrayPostings(materialize(ix, pairs));
}

function range(first: number, end: number): number[] {
  const out: number[] = [];
  for (let p = first; p < end; p++) out.push(p);
  return out;
}

const META = new Set(["\\", ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "^", "$", "|"]);
const PUNCT = /^[!-/:-@[-`{-~]$/;

/**
 * The literals of a regular expression that is nothing but an alternation of literal strings
 * (`a|b|c`, with punctuation escaped as `\.` allowed), or undefined for anything else. Such a
 * regex, anchored as matchers are, matches exactly those strings.
 */
export function literalAlternatives(re: string): Set<string> | undefined {
  const out = new Set<string>();
  let cur = "";
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === "|") {
      out.add(cur);
      cur = "";
    } else if (c === "\\") {
      const next = re[i + 1];
      if (next === undefined || !PUNCT.test(next)) return undefined;
      cur += next;
      i++;
    } else if (META.has(c)) {
      return undefined;
    } else {
      cur += c;
    }
  }
  out.add(cur);
  return out;
}
