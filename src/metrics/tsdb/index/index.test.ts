import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { Matcher, type MatchType } from "../../../model/matcher.js";
import { crc32c } from "../chunk/crc32c.js";
import {
  type ChunkMeta,
  collect,
  IndexCorruptedError,
  IndexReader,
  type IndexSection,
  IndexWriteError,
  IndexWriter,
  type IndexWriteStats,
} from "./index.js";
import { ByteWriter, readU64 } from "./varint.js";

interface TestSeries {
  labels: Labels;
  chunks: ChunkMeta[];
}

/** A small deterministic PRNG (mulberry32), so the fixed index is the same on every run. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const METRICS = ["up", "node_cpu_seconds_total", "http_requests_total", "node_memory_bytes", "ümlaut_total"];
const OPTIONAL: [string, string[]][] = [
  ["job", ["api", "node", "web", "a.b"]],
  ["instance", Array.from({ length: 30 }, (_, i) => `i${i}`).concat(["i😀", "i\uE000", "iü"])],
  ["mode", ["idle", "user", "system", "iowait", "IDLE"]],
  ["cpu", ["0", "1", "2", "3", "4", "5", "6", "7"]],
  ["le", ["0.1", "1", "+Inf"]],
  ["parity", ["even", "odd"]],
];

/** `n` distinct series (fewer after removing repeats), sorted, with chunk metas of every shape. */
function generate(n: number, seed: number): TestSeries[] {
  const r = prng(seed);
  const byKey = new Map<string, Labels>();
  for (let i = 0; i < n; i++) {
    const rec: Record<string, string> = { __name__: METRICS[r(METRICS.length)]! };
    for (const [name, values] of OPTIONAL) if (r(3) > 0) rec[name] = values[r(values.length)]!;
    if (r(2) === 0) rec.parity = i % 2 === 0 ? "even" : "odd";
    const labels = Labels.fromRecord(rec);
    byKey.set(labels.key(), labels);
  }
  const sorted = [...byKey.values()].sort(Labels.compare);
  let segment = 0;
  let offset = 8;
  return sorted.map((labels) => {
    const chunks: ChunkMeta[] = [];
    const count = r(7);
    let t = r(10) === 0 ? -5_000_000 + r(100_000) : 1_700_000_000_000 + r(30_000);
    for (let c = 0; c < count; c++) {
      const minT = t;
      const maxT = minT + (r(5) === 0 ? 0 : 1_785_000 + r(40) - 20);
      if (r(50) === 0) {
        segment++;
        offset = 8;
      }
      chunks.push({ minT, maxT, ref: segment * 2 ** 32 + offset });
      offset += 100 + r(200);
      t = maxT + 1 + r(30_000);
    }
    return { labels, chunks };
  });
}

async function writeIndex(
  path: string,
  series: readonly TestSeries[],
  options: { postingsBatchIds?: number } = {},
): Promise<IndexWriteStats> {
  const w = await IndexWriter.create(path, { sync: "never", ...options });
  for (const s of series) w.addSeries(s.labels, s.chunks);
  return w.finish();
}

/** Sets byte `at` of `b` and returns `b`. */
function set(b: Uint8Array, at: number, value: number): Uint8Array {
  b[at] = value;
  return b;
}

const bruteForce = (series: readonly TestSeries[], ms: readonly Matcher[]): number[] =>
  series.flatMap((s, id) => (ms.every((m) => m.matches(s.labels.get(m.name))) ? [id] : []));

const NAMES = ["__name__", "job", "instance", "mode", "cpu", "le", "parity", "absent", ""];
const VALUES = [...METRICS, ...OPTIONAL.flatMap(([, v]) => v), "", "nope"];
const REGEXES = [
  ".*",
  ".+",
  "",
  "i1.*",
  "i1|i2|nope",
  "api|web",
  "api|",
  "a\\.b|i3",
  "(?i)IDLE",
  "node_.*|up",
  "i[0-4]",
  ".*1",
  "i\\d+",
  "i.",
  "(api)",
  "i😀|iü",
  "[^i].*",
];
const matcherArb = fc.oneof(
  fc.record({
    type: fc.constantFrom<MatchType>("=", "!="),
    name: fc.constantFrom(...NAMES),
    value: fc.constantFrom(...VALUES),
  }),
  fc.record({
    type: fc.constantFrom<MatchType>("=~", "!~"),
    name: fc.constantFrom(...NAMES),
    value: fc.constantFrom(...REGEXES),
  }),
);
const matchersArb = fc.array(
  matcherArb.map((m) => new Matcher(m.type, m.name, m.value)),
  { maxLength: 4 },
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-index-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a block index of a few hundred series", () => {
  const series = generate(700, 1);
  let path: string;
  let stats: IndexWriteStats;
  let ix: IndexReader;
  beforeAll(async () => {
    path = join(dir, "fixed");
    stats = await writeIndex(path, series);
    ix = await IndexReader.open(path);
  });

  it("reports what it wrote", async () => {
    expect(series.length).toBeGreaterThan(400);
    expect(stats.series).toBe(series.length);
    expect(stats.bytes).toBe((await stat(path)).size);
    expect(ix.seriesCount).toBe(series.length);
    expect(ix.byteLength).toBe(stats.bytes);
  });

  it("gives back every series' labels and chunks", () => {
    for (let id = 0; id < series.length; id++) {
      const got = ix.series(id);
      expect(got.labels.equals(series[id]!.labels), `series ${id}`).toBe(true);
      expect(got.chunks).toEqual(series[id]!.chunks);
    }
  });

  it("decodes series in any order with a reused decoder", () => {
    const d = ix.seriesDecoder();
    const r = prng(7);
    const order = [...series.keys()].reverse().concat(Array.from({ length: 500 }, () => r(series.length)));
    for (const id of order) {
      d.decode(id);
      expect(d.id).toBe(id);
      expect(d.labels.equals(series[id]!.labels)).toBe(true);
      expect(d.chunkCount).toBe(series[id]!.chunks.length);
      series[id]!.chunks.forEach((c, i) => {
        expect([d.minT[i], d.maxT[i], d.ref[i]]).toEqual([c.minT, c.maxT, c.ref]);
      });
    }
    expect(() => d.decode(series.length)).toThrow(RangeError);
    expect(() => d.decode(-1)).toThrow(RangeError);
  });

  it("lists label names, values and symbols, sorted", () => {
    const values = new Map<string, Set<string>>();
    for (const s of series) {
      s.labels.forEach((n, v) => {
        values.set(n, (values.get(n) ?? new Set()).add(v));
      });
    }
    const names = [...values.keys()].sort();
    expect(ix.labelNames()).toEqual(names);
    for (const n of names) expect(ix.labelValues(n)).toEqual([...values.get(n)!].sort());
    expect(ix.labelValues("absent")).toEqual([]);
    const symbols = new Set<string>(names);
    for (const v of values.values()) for (const x of v) symbols.add(x);
    expect(ix.symbols).toEqual([...symbols].sort());
  });

  it("has a postings list per label pair equal to the series carrying it", () => {
    for (const name of ix.labelNames()) {
      for (const value of ix.labelValues(name)) {
        const want = series.flatMap((s, id) => (s.labels.get(name) === value ? [id] : []));
        expect(Array.from(collect(ix.postings(name, value)))).toEqual(want);
        expect(ix.postingsCount(name, value)).toBe(want.length);
      }
    }
    expect(ix.postings("job", "nope").next()).toBe(false);
    expect(ix.postingsCount("absent", "x")).toBe(0);
  });

  it.each([
    [[]],
    [[["=", "job", "api"]]],
    [[["=", "job", ""]]],
    [[["!=", "job", ""]]],
    [[["!=", "job", "api"]]],
    [[["=~", "job", ".*"]]],
    [[["!~", "job", ".*"]]],
    [[["=~", "job", ".+"]]],
    [[["!~", "job", ".+"]]],
    [[["=~", "job", "api|"]]],
    [[["=", "", ""]]],
    [[["=", "absent", ""]]],
    [[["!=", "absent", "x"]]],
    [
      [
        ["=~", "instance", "i1|i2|nope"],
        ["!=", "mode", "idle"],
        ["=~", "__name__", "node_.*"],
      ],
    ],
    [
      [
        ["!~", "mode", "(?i)IDLE"],
        ["!=", "job", "web"],
      ],
    ],
  ] as [MatchType, string, string][][][])("postingsForMatchers %j equals a brute-force filter", (spec) => {
    const ms = spec.map(([t, n, v]) => new Matcher(t, n, v));
    expect(Array.from(ix.postingsForMatchers(ms))).toEqual(bruteForce(series, ms));
  });

  it("postingsForMatchers equals a brute-force filter for random matcher sets", () => {
    fc.assert(
      fc.property(matchersArb, (ms) => {
        expect(Array.from(ix.postingsForMatchers(ms))).toEqual(bruteForce(series, ms));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("random block indexes", () => {
  it("round-trip and answer matchers like a brute-force filter", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.integer(),
        fc.integer({ min: 1, max: 50 }),
        fc.array(matchersArb, { minLength: 5, maxLength: 5 }),
        async (n, seed, batch, matcherSets) => {
          const series = generate(n, seed);
          const path = join(dir, `random-${run++}`);
          await writeIndex(path, series, { postingsBatchIds: batch });
          const ix = await IndexReader.open(path);
          expect(ix.seriesCount).toBe(series.length);
          series.forEach((s, id) => {
            const got = ix.series(id);
            expect(got.labels.equals(s.labels)).toBe(true);
            expect(got.chunks).toEqual(s.chunks);
          });
          for (const ms of matcherSets) {
            expect(Array.from(ix.postingsForMatchers(ms))).toEqual(bruteForce(series, ms));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("an empty index", () => {
  it("opens and answers nothing", async () => {
    const path = join(dir, "empty");
    const stats = await writeIndex(path, []);
    expect(stats.bytes).toBeLessThan(150);
    const ix = await IndexReader.open(path);
    expect(ix.seriesCount).toBe(0);
    expect(ix.symbols).toEqual([]);
    expect(ix.labelNames()).toEqual([]);
    expect(ix.labelValues("job")).toEqual([]);
    expect(Array.from(ix.postingsForMatchers([new Matcher("=", "job", "x")]))).toEqual([]);
    expect(Array.from(ix.postingsForMatchers([new Matcher("!=", "job", "x")]))).toEqual([]);
    expect(Array.from(ix.postingsForMatchers([]))).toEqual([]);
    expect(() => ix.series(0)).toThrow(RangeError);
  });
});

describe("corruption", () => {
  const series = generate(200, 3);
  let good: Uint8Array;
  let stats: IndexWriteStats;
  beforeAll(async () => {
    const path = join(dir, "to-corrupt");
    stats = await writeIndex(path, series);
    good = new Uint8Array(await readFile(path));
  });

  const opens = async (bytes: Uint8Array, name: string): Promise<unknown> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    try {
      await IndexReader.open(path);
      return undefined;
    } catch (err) {
      return err;
    }
  };
  const expectCorrupt = (err: unknown, section: IndexSection, file?: string) => {
    expect(err).toBeInstanceOf(IndexCorruptedError);
    const e = err as IndexCorruptedError;
    expect(e.code).toBe("index_corrupted");
    expect(e.section).toBe(section);
    if (file !== undefined) {
      expect(e.file).toBe(file);
      expect(e.message).toContain(file);
    }
  };

  it("a sound file opens", async () => {
    expect(await opens(good, "sound")).toBeUndefined();
  });

  it.each(["symbols", "labels", "series", "series offsets", "postings", "postings offsets"] as const)(
    "a flipped bit in the %s section is reported with the file and the section",
    async (section) => {
      let offset = 8;
      for (const [name, length] of Object.entries(stats.sectionBytes)) {
        if (name === section) {
          expect(length).toBeGreaterThan(0);
          const bad = good.slice();
          const at = offset + Math.floor(length / 2);
          bad[at]! ^= 0x10;
          const file = join(dir, `bad-${section.replace(" ", "-")}`);
          expectCorrupt(await opens(bad, `bad-${section.replace(" ", "-")}`), section, file);
          return;
        }
        offset += length;
      }
      throw new Error(`no section ${section}`);
    },
  );

  it.each([
    ["header", "a wrong magic", (b: Uint8Array) => set(b, 0, 0x50)],
    ["header", "another version", (b: Uint8Array) => set(b, 4, 2)],
    ["toc", "a flipped bit in the TOC", (b: Uint8Array) => set(b, b.length - 20, b[b.length - 20]! ^ 1)],
    ["toc", "a lost tail", (b: Uint8Array) => b.subarray(0, b.length - 1)],
    ["toc", "a file of 10 bytes", (b: Uint8Array) => b.subarray(0, 10)],
  ] as [IndexSection, string, (b: Uint8Array) => Uint8Array][])("%s: %s", async (section, _what, damage) => {
    const bad = good.slice();
    expectCorrupt(await opens(damage(bad), "bad"), section);
  });

  /** `good` with `damage` applied to a section, and every checksum made right again. */
  const rechecksummed = (section: number, damage: (b: Uint8Array, start: number) => unknown): Uint8Array => {
    const b = good.slice();
    const toc = b.length - 132;
    const entry = (i: number) => toc + 4 + i * 20;
    const start = readU64(b, entry(section));
    damage(b, start);
    const w = new ByteWriter();
    for (let i = 0; i < 6; i++) {
      const s = readU64(b, entry(i));
      const len = readU64(b, entry(i) + 8);
      w.u64(s);
      w.u64(len);
      w.u32(crc32c(b, 0, s, s + len));
    }
    b.set(w.bytes(), toc + 4);
    const sum = new ByteWriter();
    sum.u32(crc32c(b, 0, toc, toc + 124));
    b.set(sum.bytes(), toc + 124);
    return b;
  };

  it.each([
    ["symbols", 0, (b: Uint8Array, at: number) => set(b, at, 0x7f)], // more symbols than bytes
    ["labels", 1, (b: Uint8Array, at: number) => set(b, at, b[at]! + 1)], // one label name too many
    ["series offsets", 3, (b: Uint8Array, at: number) => b.fill(0xff, at, at + 4)],
  ] as [IndexSection, number, (b: Uint8Array, at: number) => unknown][])(
    "a %s section that does not decode, with right checksums, fails the open",
    (section, i, damage) => {
      let err: unknown;
      try {
        IndexReader.fromBytes(rechecksummed(i, damage), "mem");
      } catch (e) {
        err = e;
      }
      expectCorrupt(err, section, "mem");
    },
  );

  it("a series entry that does not decode, with right checksums, fails when read", () => {
    const ix = IndexReader.fromBytes(
      rechecksummed(2, (b, at) => b.fill(0xff, at, at + 9)),
      "mem",
    );
    let err: unknown;
    try {
      ix.series(0);
    } catch (e) {
      err = e;
    }
    expectCorrupt(err, "series", "mem");
    expect(ix.series(16).labels.equals(series[16]!.labels)).toBe(true); // other groups still read
  });
});

describe("IndexWriter refuses", () => {
  const l = (rec: Record<string, string>) => Labels.fromRecord(rec);
  const chunk = (minT: number, maxT: number, ref = 8): ChunkMeta => ({ minT, maxT, ref });

  it.each([
    ["a series out of order", [l({ a: "2" }), l({ a: "1" })], [[], []], "index_out_of_order"],
    ["a repeated series", [l({ a: "1" }), l({ a: "1" })], [[], []], "index_out_of_order"],
    ["an empty label set", [Labels.EMPTY], [[]], "index_invalid_series"],
    ["an empty label name", [l({ "": "x" })], [[]], "index_invalid_series"],
    ["a lone surrogate", [l({ a: "x\uD800" })], [[]], "index_invalid_series"],
    ["a chunk ending before it starts", [l({ a: "1" })], [[chunk(10, 5)]], "index_invalid_series"],
    ["overlapping chunks", [l({ a: "1" })], [[chunk(0, 10), chunk(10, 20)]], "index_invalid_series"],
    ["unsorted chunks", [l({ a: "1" })], [[chunk(100, 200), chunk(0, 10)]], "index_invalid_series"],
    ["a fractional time", [l({ a: "1" })], [[chunk(0.5, 10)]], "index_invalid_series"],
    ["a negative ref", [l({ a: "1" })], [[chunk(0, 10, -1)]], "index_invalid_series"],
    ["a ref beyond 2^53", [l({ a: "1" })], [[chunk(0, 10, 2 ** 53)]], "index_invalid_series"],
  ] as [string, Labels[], ChunkMeta[][], string][])(
    "%s, and stays usable",
    async (what, labels, chunks, code) => {
      const path = join(dir, `refuse-${what.replaceAll(" ", "-")}`);
      const w = await IndexWriter.create(path, { sync: "never" });
      let err: unknown;
      try {
        for (const [i, ls] of labels.entries()) w.addSeries(ls, chunks[i]!);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IndexWriteError);
      expect((err as IndexWriteError).code).toBe(code);
      w.addSeries(l({ z: "last" }), [chunk(0, 1)]);
      await w.finish();
      const ix = await IndexReader.open(path);
      expect(ix.series(ix.seriesCount - 1).labels.equals(l({ z: "last" }))).toBe(true);
    },
  );

  it("use after finish, and an existing file", async () => {
    const path = join(dir, "closed");
    const w = await IndexWriter.create(path, { sync: "never" });
    await w.finish();
    expect(() => w.addSeries(l({ a: "1" }), [])).toThrow(expect.objectContaining({ code: "index_closed" }));
    await expect(w.finish()).rejects.toMatchObject({ code: "index_closed" });
    await expect(IndexWriter.create(path)).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("abort removes the file", async () => {
    const path = join(dir, "aborted");
    const w = await IndexWriter.create(path, { sync: "never" });
    w.addSeries(l({ a: "1" }), []);
    await w.abort();
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
