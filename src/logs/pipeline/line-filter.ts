import type { LineFilterStage } from "../logql/index.js";
import { compileIPPattern, lineHasIP } from "./ip.js";
import { compilePattern } from "./pattern.js";
import { compileRE2 } from "./regex.js";

/** A compiled line test: whether the line matches one alternative. */
type LineTest = (line: string) => boolean;

/** RE2 metacharacters; a regexp without them is a plain substring search. */
const META = /[\\^$.|?*+()[\]{}]/;

/**
 * Compiles a line filter into a predicate on the line: `|=`/`|~`/`|>` pass when any alternative
 * matches, `!=`/`!~`/`!>` when none does. Regexps match anywhere in the line; a literal one, or
 * `(?i)` followed by a literal, becomes a (case-folded) substring search.
 */
export function compileLineFilter(stage: LineFilterStage): (line: string) => boolean {
  const tests = stage.values.map((v): LineTest => {
    if (v.ip) {
      const m = compileIPPattern(v.value);
      return (line) => lineHasIP(m, line);
    }
    switch (stage.op) {
      case "|=":
      case "!=":
        return contains(v.value);
      case "|~":
      case "!~":
        return regexTest(v.value);
      case "|>":
      case "!>": {
        const p = compilePattern(v.value, false);
        return (line) => p.test(line);
      }
      default:
        throw new Error(`unknown line filter operator ${stage.op satisfies never}`);
    }
  });
  const negate = stage.op[0] === "!";
  if (tests.length === 1) {
    const t = tests[0]!;
    return negate ? (line) => !t(line) : t;
  }
  return (line) => {
    for (const t of tests) if (t(line)) return !negate;
    return negate;
  };
}

function contains(needle: string): LineTest {
  if (needle === "") return () => true;
  return (line) => line.includes(needle);
}

function regexTest(pattern: string): LineTest {
  if (!META.test(pattern)) return contains(pattern);
  const ci = /^\(\?i\)(.*)$/s.exec(pattern);
  if (ci !== null && !META.test(ci[1]!)) {
    const needle = ci[1]!.toLowerCase();
    if (needle === "") return () => true;
    return (line) => line.toLowerCase().includes(needle);
  }
  const re = compileRE2(pattern, "line filter");
  return (line) => re.test(line);
}
