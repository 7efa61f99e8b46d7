import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KNOWN_FAILURES } from "./conformance-skips.js";
import { type EvalOutcome, runTestScript } from "./test-script-runner.js";

/**
 * Runs PromQL test scripts (`*.test`, FORMAT.md) file by file: upstream's corpus, read in place from
 * `../shared/conformance/promql` (never copied into the repository), and Mirador's own scripts in
 * `src/metrics/promql/testdata/`. Shared by `conformance-main.ts` (`npm run test:promql`) and
 * `conformance.test.ts` (inside `npm test`), so both count the same way.
 */

/** The environment variable that names the corpus directory (holding `testdata/` or the `.test` files). */
export const CORPUS_DIR_ENV = "MIRADOR_PROMQL_CONFORMANCE_DIR";

/** Passed, failed and skipped evals. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** The result of one `.test` file. */
export interface FileResult extends Counts {
  /** The file name, e.g. `aggregators.test`. */
  readonly file: string;
  readonly outcomes: readonly EvalOutcome[];
  /** Set when the file could not be parsed or run at all (its evals are then not counted). */
  readonly error?: string;
}

/** The repository root: the nearest directory above this module that holds `package.json`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("conformance: no package.json above the runner module");
    dir = up;
  }
}

/** The corpus directory: `$MIRADOR_PROMQL_CONFORMANCE_DIR`, else `<repo>/../shared/conformance/promql`. */
export function corpusDir(): string {
  const env = process.env[CORPUS_DIR_ENV];
  return env !== undefined && env !== "" ? resolve(env) : resolve(repoRoot(), "../shared/conformance/promql");
}

/** Mirador's own test scripts, for behaviour beyond upstream's corpus. */
export function ownTestdataDir(): string {
  return join(repoRoot(), "src/metrics/promql/testdata");
}

/**
 * The directory holding the corpus's `.test` files: `<dir>/testdata` if present, else `<dir>`
 * itself when it holds `.test` files; undefined when neither exists.
 */
export function corpusTestdata(dir: string): string | undefined {
  const nested = join(dir, "testdata");
  if (isDir(nested)) return nested;
  if (isDir(dir) && listTestFiles(dir).length > 0) return dir;
  return undefined;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The `.test` files of `dir`, sorted by name (empty when the directory does not exist). */
export function listTestFiles(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".test"))
    .sort();
}

/**
 * Lines of evals that need native histograms, per file, from the corpus's
 * `native-histogram-evals.json` (our own heuristic list, FORMAT.md §9), looked for in `dir` and,
 * when `dir` is the `testdata` directory itself, in its parent; empty when absent.
 */
export function histogramEvalLines(dir: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const path = [
    join(dir, "native-histogram-evals.json"),
    join(dir, "..", "native-histogram-evals.json"),
  ].find((p) => existsSync(p));
  if (path === undefined) return out;
  const json = JSON.parse(readFileSync(path, "utf8")) as { files?: Record<string, number[]> };
  for (const [file, lines] of Object.entries(json.files ?? {})) out.set(file, new Set(lines));
  return out;
}

/** Runs one `.test` file; a script that cannot be parsed or crashes the runner counts as one failure. */
export async function runTestFile(path: string, skipLines: ReadonlySet<number>): Promise<FileResult> {
  const file = path.slice(path.lastIndexOf("/") + 1);
  try {
    const outcomes = await runTestScript(readFileSync(path, "utf8"), { skipLines });
    const counts = countOutcomes(outcomes);
    return { file, outcomes, ...counts };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { file, outcomes: [], passed: 0, failed: 1, skipped: 0, error };
  }
}

/** Counts passes, failures and skips. */
export function countOutcomes(outcomes: readonly EvalOutcome[]): Counts {
  const c: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes) {
    if (o.status === "pass") c.passed++;
    else if (o.status === "fail") c.failed++;
    else c.skipped++;
  }
  return c;
}

/** Failures of `result` that are not listed in {@link KNOWN_FAILURES}, as `file:line` report lines. */
export function unexpectedFailures(result: FileResult): string[] {
  if (result.error !== undefined) return [`${result.file}: ${result.error}`];
  return result.outcomes
    .filter((o) => o.status === "fail" && !KNOWN_FAILURES.has(`${result.file}:${o.line}`))
    .map((o) => `${result.file}:${o.line}: ${o.expr}\n    ${o.reason}`);
}

/** What a whole run found. `totals` covers the upstream corpus only, the number the issue tracks. */
export interface ConformanceReport {
  readonly corpusDir: string;
  /** False when the corpus directory (or its `.test` files) is absent: everything upstream was skipped. */
  readonly corpusFound: boolean;
  readonly corpus: readonly FileResult[];
  readonly own: readonly FileResult[];
  readonly totals: Counts;
}

/** Runs every upstream `.test` file and every one of Mirador's own; `onFile` sees each result as it lands. */
export async function runConformance(
  opts: {
    readonly corpusDir?: string;
    readonly ownDir?: string;
    readonly onFile?: (result: FileResult, own: boolean) => void;
  } = {},
): Promise<ConformanceReport> {
  const dir = opts.corpusDir ?? corpusDir();
  const testdata = corpusTestdata(dir);
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  const corpus: FileResult[] = [];
  if (testdata !== undefined) {
    const skips = histogramEvalLines(dir);
    for (const file of listTestFiles(testdata)) {
      const r = await runTestFile(join(testdata, file), skips.get(file) ?? new Set());
      corpus.push(r);
      totals.passed += r.passed;
      totals.failed += r.failed;
      totals.skipped += r.skipped;
      opts.onFile?.(r, false);
    }
  }
  const own: FileResult[] = [];
  const ownDir = opts.ownDir ?? ownTestdataDir();
  for (const file of listTestFiles(ownDir)) {
    const r = await runTestFile(join(ownDir, file), new Set());
    own.push(r);
    opts.onFile?.(r, true);
  }
  return { corpusDir: dir, corpusFound: testdata !== undefined, corpus, own, totals };
}
