import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type EvalOutcome, runTestScript } from "./testing/test-script-runner.js";

/**
 * Runs Prometheus's PromQL test scripts (shared/conformance/promql, read in place, never copied)
 * against the engine. Skipped when the directory is absent. Evals that need native histograms
 * (the list in native-histogram-evals.json) or a feature the engine reports as "not supported yet"
 * count as skipped; every other eval must pass unless listed in KNOWN_FAILURES with a reason.
 */

const DIR =
  process.env.MIRADOR_PROMQL_CONFORMANCE_DIR ??
  fileURLToPath(new URL("../../../../shared/conformance/promql/", import.meta.url));
const TESTDATA = `${DIR}/testdata`;

/** Files run, with why the others are not (yet). */
const FILES: readonly string[] = [
  "aggregators.test",
  "at_modifier.test",
  "collision.test",
  "functions.test",
  "histograms.test",
  "literals.test",
  "name_label_dropping.test",
  "operators.test",
  "range_queries.test",
  "selectors.test",
  "staleness.test",
  "subquery.test",
  "trig_functions.test",
  "limit.test",
];
// Not run: duration_expression, extended_vectors, fill-modifier (experimental syntax the parser
// does not accept yet), info (info() is not evaluated yet), native_histograms (Mirador stores
// float samples only), start_timestamps (start-timestamp samples), type_and_unit (upstream runs it
// with the type-and-unit-labels feature, which drops __type__/__unit__ with the metric name).

/** Evals that fail today, by "file:line", with the reason. Keep this list short and explained. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map();

function histogramLines(): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const path = `${DIR}/native-histogram-evals.json`;
  if (!existsSync(path)) return out;
  const json = JSON.parse(readFileSync(path, "utf8")) as { files?: Record<string, number[]> };
  for (const [file, lines] of Object.entries(json.files ?? {})) out.set(file, new Set(lines));
  return out;
}

describe.skipIf(!existsSync(TESTDATA))("PromQL conformance scripts", () => {
  const skips = existsSync(TESTDATA) ? histogramLines() : new Map<string, Set<number>>();
  for (const file of FILES) {
    it(file, async () => {
      const script = readFileSync(`${TESTDATA}/${file}`, "utf8");
      const outcomes: EvalOutcome[] = await runTestScript(script, {
        skipLines: skips.get(file) ?? new Set(),
      });
      const failures = outcomes.filter(
        (o) => o.status === "fail" && !KNOWN_FAILURES.has(`${file}:${o.line}`),
      );
      const report = failures.map((o) => `${file}:${o.line}: ${o.expr}\n    ${o.reason}`).join("\n");
      expect(report).toBe("");
    });
  }
});
