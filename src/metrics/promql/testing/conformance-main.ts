import { KNOWN_FAILURES, SKIP_REASONS } from "./conformance-skips.js";
import {
  CORPUS_DIR_ENV,
  type ConformanceReport,
  type FileResult,
  runConformance,
  unexpectedFailures,
} from "./conformance-suite.js";

/**
 * `npm run test:promql`: runs every PromQL test script of the upstream corpus and Mirador's own,
 * prints one line per file with its passed/failed/skipped counts, the failures, the skip reasons,
 * and as its last line one JSON object `{"passed":N,"failed":N,"skipped":N}` for the upstream
 * corpus. Exits 1 when an eval fails that is not a known failure (conformance-skips.ts).
 */

function fileLine(r: FileResult, own: boolean): string {
  const name = own ? `mirador/${r.file}` : r.file;
  const error = r.error === undefined ? "" : ` (could not run: ${r.error})`;
  return `${name.padEnd(40)} passed ${String(r.passed).padStart(4)}  failed ${String(r.failed).padStart(4)}  skipped ${String(r.skipped).padStart(4)}${error}`;
}

function summary(report: ConformanceReport): string[] {
  const lines: string[] = [];
  const all = [...report.corpus, ...report.own];
  const failures = all.flatMap(unexpectedFailures);
  const known = all.flatMap((r) =>
    r.outcomes
      .filter((o) => o.status === "fail" && KNOWN_FAILURES.has(`${r.file}:${o.line}`))
      .map((o) => `${r.file}:${o.line}: ${KNOWN_FAILURES.get(`${r.file}:${o.line}`)}`),
  );
  const skipCounts = new Map<string, number>();
  for (const r of all)
    for (const o of r.outcomes) {
      if (o.status === "skip" && o.skipReason !== undefined)
        skipCounts.set(o.skipReason, (skipCounts.get(o.skipReason) ?? 0) + 1);
    }
  if (skipCounts.size > 0) {
    lines.push("", "skipped, by reason:");
    for (const [key, n] of skipCounts)
      lines.push(`  ${n} × ${SKIP_REASONS[key as keyof typeof SKIP_REASONS]}`);
  }
  if (known.length > 0) lines.push("", "known failures:", ...known.map((k) => `  ${k}`));
  if (failures.length > 0) lines.push("", "failures:", ...failures.map((f) => `  ${f}`));
  return lines;
}

async function main(): Promise<number> {
  const report = await runConformance({
    onFile: (r, own) => {
      process.stdout.write(`${fileLine(r, own)}\n`);
    },
  });
  if (!report.corpusFound) {
    process.stdout.write(
      `PromQL conformance corpus not found at ${report.corpusDir} (set ${CORPUS_DIR_ENV} to its directory): skipped every upstream eval.\n`,
    );
  }
  for (const line of summary(report)) process.stdout.write(`${line}\n`);
  const { passed, failed, skipped } = report.totals;
  process.stdout.write(`${JSON.stringify({ passed, failed, skipped })}\n`);
  const unexpected = [...report.corpus, ...report.own].some((r) => unexpectedFailures(r).length > 0);
  return unexpected ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `conformance runner crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.stdout.write(`${JSON.stringify({ passed: 0, failed: 0, skipped: 0 })}\n`);
    process.exitCode = 2;
  },
);
