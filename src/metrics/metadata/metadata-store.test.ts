import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, TenantLimits } from "../limits/index.js";
import { MetadataStore, metricTypeName } from "./metadata-store.js";

const limits = new TenantLimits(
  { ...DEFAULT_LIMITS, max_metadata_families: 3 },
  { big: { max_metadata_families: 0 } },
);
const md = (type: string, help = "", unit = "") => ({ type, help, unit });
const all = { metric: "", limit: -1, limitPerMetric: -1 };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mirador-metadata-"));
  dirs.push(d);
  return d;
}

describe("MetadataStore", () => {
  it("keeps the latest metadata of each family, sorted by name", () => {
    const s = new MetadataStore(limits, undefined);
    s.set("t", "up", md("gauge", "old"));
    s.set("t", "a_total", md("counter", "A", "seconds"));
    s.set("t", "up", md("gauge", "new"));
    expect(s.query(["t"], all)).toEqual([
      ["a_total", [md("counter", "A", "seconds")]],
      ["up", [md("gauge", "new")]],
    ]);
    expect(s.query(["t"], { ...all, metric: "up" })).toEqual([["up", [md("gauge", "new")]]]);
    expect(s.query(["t"], { ...all, metric: "nope" })).toEqual([]);
    expect(s.query(["other"], all)).toEqual([]);
  });

  it("forgets the least recently updated family past max_metadata_families", () => {
    const s = new MetadataStore(limits, undefined);
    for (const f of ["a", "b", "c"]) s.set("t", f, md("gauge"));
    s.set("t", "a", md("gauge")); // a is fresh again, b is now the oldest
    expect(s.set("t", "d", md("gauge"))).toBe(1);
    expect(s.query(["t"], all).map(([f]) => f)).toEqual(["a", "c", "d"]);
    for (let i = 0; i < 10; i++) s.set("big", `f${i}`, md("gauge"));
    expect(s.size("big")).toBe(10);
  });

  it("applies limit and limit_per_metric as Prometheus does, merging tenants", () => {
    const s = new MetadataStore(limits, undefined);
    s.set("a", "x", md("counter", "from a"));
    s.set("b", "x", md("counter", "from b"));
    s.set("c", "x", md("counter", "from a"));
    s.set("a", "y", md("gauge"));
    expect(s.query(["a", "b", "c"], all)).toEqual([
      ["x", [md("counter", "from a"), md("counter", "from b")]],
      ["y", [md("gauge")]],
    ]);
    expect(s.query(["a", "b"], { ...all, limitPerMetric: 1 })).toEqual([
      ["x", [md("counter", "from a")]],
      ["y", [md("gauge")]],
    ]);
    expect(s.query(["a", "b"], { ...all, limit: 1 }).map(([f]) => f)).toEqual(["x"]);
    expect(s.query(["a", "b"], { ...all, limit: 0 })).toEqual([]);
  });

  it("survives a restart through its snapshots, and skips a snapshot it cannot read", async () => {
    const dir = await tempDir();
    const s = new MetadataStore(limits, dir);
    s.set("t", "up", md("gauge", "1 if up"));
    s.set("t", "123", md("counter", "a UTF-8 name that looks like a number"));
    s.set("t|x", "odd", md("info")); // the file name is URI-encoded
    await s.snapshot();
    expect((await readdir(dir)).sort()).toEqual(["t%7Cx.json", "t.json"]);
    await writeFile(join(dir, "broken.json"), "{");
    await writeFile(join(dir, "leftover.json.tmp"), "{");
    const problems: string[] = [];
    const back = new MetadataStore(limits, dir);
    await back.load((m) => problems.push(m));
    expect(back.query(["t"], all)).toEqual(s.query(["t"], all));
    expect(back.query(["t|x"], all)).toEqual([["odd", [md("info")]]]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("broken.json");
    // Least recently updated first, so the eviction order survives too.
    expect(JSON.parse(await readFile(join(dir, "t.json"), "utf8"))).toEqual({
      version: 1,
      families: [
        ["up", "gauge", "1 if up", ""],
        ["123", "counter", "a UTF-8 name that looks like a number", ""],
      ],
    });
  });

  it("rewrites only the snapshots of tenants that changed", async () => {
    const dir = await tempDir();
    const s = new MetadataStore(limits, dir);
    s.set("a", "up", md("gauge"));
    s.set("b", "up", md("gauge"));
    await s.snapshot();
    await rm(join(dir, "a.json"));
    s.set("a", "up", md("gauge")); // the same: not a change
    s.set("b", "up", md("counter"));
    await s.snapshot();
    expect(await readdir(dir)).toEqual(["b.json"]);
  });

  it("forgets a deleted tenant and removes its snapshot", async () => {
    const dir = await tempDir();
    const s = new MetadataStore(limits, dir);
    s.set("a", "up", md("gauge"));
    s.set("b", "up", md("gauge"));
    await s.snapshot();
    await s.deleteTenant("a");
    expect(s.query(["a"], all)).toEqual([]);
    expect(s.query(["b"], all)).toEqual([["up", [md("gauge")]]]);
    expect(await readdir(dir)).toEqual(["b.json"]);
  });
});

describe("metricTypeName", () => {
  it.each([
    [0, "unknown"],
    [1, "counter"],
    [2, "gauge"],
    [3, "histogram"],
    [4, "gaugehistogram"],
    [5, "summary"],
    [6, "info"],
    [7, "stateset"],
    [99, "unknown"],
  ])("%i is %s", (n, name) => expect(metricTypeName(n)).toBe(name));
});
