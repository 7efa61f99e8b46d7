#!/usr/bin/env node
// Runs one benchmark: `npm run bench -- NAME [args…]`. A benchmark is a module `NAME.bench.ts` beside
// the code it measures, compiled into dist/, exporting `run(args: string[]): Promise<object>`. Its
// progress goes to stderr; the last line on stdout is one JSON object with its figures.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../dist", import.meta.url));
const [name, ...args] = process.argv.slice(2);

function benches(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...benches(path));
    else if (entry.endsWith(".bench.js")) out.push(path);
  }
  return out;
}

const all = benches(root);
const names = all.map((p) =>
  relative(root, p)
    .replace(/\.bench\.js$/, "")
    .split("/")
    .pop(),
);
if (!name) {
  process.stderr.write(`usage: npm run bench -- NAME [args…]\nbenchmarks: ${names.sort().join(", ")}\n`);
  process.exit(2);
}
const found = all.filter((p) => p.endsWith(`/${name}.bench.js`));
if (found.length !== 1) {
  process.stderr.write(
    `no single benchmark named ${JSON.stringify(name)}; benchmarks: ${names.sort().join(", ")}\n`,
  );
  process.exit(2);
}
const mod = await import(pathToFileURL(found[0]).href);
const figures = await mod.run(args);
process.stdout.write(`${JSON.stringify(figures)}\n`);
