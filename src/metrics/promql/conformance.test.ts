import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  corpusDir,
  corpusTestdata,
  histogramEvalLines,
  listTestFiles,
  ownTestdataDir,
  runTestFile,
  unexpectedFailures,
} from "./testing/conformance-suite.js";

/**
 * Runs every PromQL test script, as `npm run test:promql` does (both go through
 * testing/conformance-suite.ts): Prometheus's corpus, read in place from ../shared/conformance/promql
 * (or $MIRADOR_PROMQL_CONFORMANCE_DIR; skipped when absent), and Mirador's own scripts in testdata/.
 * Skips happen only for the reasons in testing/conformance-skips.ts; any other failure fails the
 * file's test unless KNOWN_FAILURES lists it with a reason.
 */

const dir = corpusDir();
const testdata = corpusTestdata(dir);

describe.skipIf(testdata === undefined)("PromQL conformance: upstream corpus", () => {
  const skips = histogramEvalLines(dir);
  for (const file of testdata === undefined ? [] : listTestFiles(testdata)) {
    it(file, async () => {
      const result = await runTestFile(join(testdata!, file), skips.get(file) ?? new Set());
      expect(unexpectedFailures(result).join("\n")).toBe("");
    });
  }
});

describe("PromQL conformance: Mirador's own scripts", () => {
  const own = ownTestdataDir();
  for (const file of listTestFiles(own)) {
    it(file, async () => {
      const result = await runTestFile(join(own, file), new Set());
      expect(unexpectedFailures(result).join("\n")).toBe("");
      expect(result.passed).toBeGreaterThan(0);
    });
  }
});
