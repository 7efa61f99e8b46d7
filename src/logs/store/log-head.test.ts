import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WALCorruptionError } from "../../metrics/tsdb/wal/index.js";
import { Matcher } from "../../model/matcher.js";
import type { LogDirection } from "./chunk.js";
import { LogHead, type LogHeadOptions, type LogHeadStreamInput } from "./log-head.js";
import type { LogQuerier, LogQueryEntry } from "./querier.js";

const ALL: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const FAST: LogHeadOptions = { syncMode: "never" };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-log-head-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<LogQueryEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) {
    const meta = e.metadata === undefined ? "" : ` ${JSON.stringify(e.metadata)}`;
    out.push(`${Object.fromEntries(e.labels).app ?? "-"} ${e.tsNs} ${e.line}${meta}`);
  }
  return out;
}

function all(q: LogQuerier, direction: LogDirection = "forward", limit = Infinity): Promise<string[]> {
  return collect(q.select([new Matcher("=~", "app", ".+")], ALL[0], ALL[1], direction, limit));
}

const PUSH: LogHeadStreamInput[] = [
  {
    labels: [
      ["app", "web"],
      ["env", "prod"],
    ],
    entries: [
      { tsNs: 10n, line: "GET /" },
      { tsNs: 30n, line: "GET /a", structuredMetadata: [["trace_id", "abc"]] },
    ],
  },
  {
    labels: [
      ["env", "dev"],
      ["app", "api"],
    ],
    entries: [
      { tsNs: 20n, line: "POST /x" },
      { tsNs: 30n, line: "POST /y" },
    ],
  },
];

const WANT = ["web 10 GET /", "api 20 POST /x", "api 30 POST /y", 'web 30 GET /a [["trace_id","abc"]]'];

describe("LogHead", () => {
  it("round-trips a push and merges streams in time order, ties by stream labels", async () => {
    const head = await LogHead.open(dir, FAST);
    const r = await head.append(PUSH);
    expect(r).toEqual({ accepted: 4, duplicates: 0, refusedByReason: {}, errors: [] });
    const q = head.querier();
    expect(await all(q)).toEqual(WANT);
    expect(await all(q, "backward")).toEqual([...WANT].reverse());
    expect(await all(q, "forward", 2)).toEqual(WANT.slice(0, 2));
    expect(await all(q, "backward", 1)).toEqual([WANT[3]]);
    expect(await collect(q.select([new Matcher("=", "app", "web")], 11n, 31n, "forward", 10))).toEqual([
      WANT[3],
    ]);
    expect(await collect(q.select([new Matcher("=", "app", "web")], 10n, 30n, "forward", 10))).toEqual([
      WANT[0],
    ]);
    expect(await q.labelNames()).toEqual(["app", "env"]);
    expect(await q.labelValues("app")).toEqual(["api", "web"]);
    expect(await q.series([new Matcher("=", "env", "dev")])).toEqual([
      [
        ["app", "api"],
        ["env", "dev"],
      ],
    ]);
    await head.close();
  });

  it("replays everything after close, with chunks cut and a new segment per push", async () => {
    const opts: LogHeadOptions = { ...FAST, chunkTargetBytes: 20, walSegmentBytes: 64 };
    let head = await LogHead.open(dir, opts);
    await head.append(PUSH);
    await head.append([{ labels: [["app", "web"]], entries: [{ tsNs: 5n, line: "x".repeat(50) }] }]);
    const before = await all(head.querier());
    const stats = head.stats();
    expect(stats.chunks).toBeGreaterThan(0);
    await head.close();
    head = await LogHead.open(dir, opts);
    expect(await all(head.querier())).toEqual(before);
    expect(head.stats()).toEqual(stats);
    expect(head.replayReport?.torn).toBeUndefined();
    // The order state survived too: older than the newest is still refused.
    const r = await head.append([{ labels: PUSH[0]!.labels, entries: [{ tsNs: 29n, line: "late" }] }]);
    expect(r.refusedByReason).toEqual({ out_of_order: 1 });
    await head.close();
  });

  it("drops a torn tail on open and appends after it", async () => {
    let head = await LogHead.open(dir, FAST);
    await head.append(PUSH);
    await head.close();
    const seg = join(dir, "wal", "00000001");
    await appendFile(seg, Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0, 0, 0, 40, 1, 2, 3));
    head = await LogHead.open(dir, FAST);
    expect(head.replayReport?.torn).toMatchObject({ segment: 1, droppedBytes: 11, reason: "short_record" });
    expect(await all(head.querier())).toEqual(WANT);
    await head.append([{ labels: [["app", "web"]], entries: [{ tsNs: 1n, line: "after" }] }]);
    await head.close();
    head = await LogHead.open(dir, FAST);
    expect(await all(head.querier())).toEqual(["web 1 after", ...WANT]);
    await head.close();
  });

  it("refuses to open with a corrupt record in an older segment, naming the segment and offset", async () => {
    const head = await LogHead.open(dir, { ...FAST, walSegmentBytes: 64 });
    await head.append(PUSH);
    await head.append(
      PUSH.map((s) => ({ ...s, entries: s.entries.map((e) => ({ ...e, tsNs: e.tsNs + 100n })) })),
    );
    await head.close();
    const seg = join(dir, "wal", "00000001");
    const bytes = await readFile(seg);
    bytes[20]! ^= 0xff; // inside the first record, whose frame starts after the 8-byte header
    await writeFile(seg, bytes);
    const err = await LogHead.open(dir, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WALCorruptionError);
    expect((err as WALCorruptionError).file).toBe(seg);
    expect((err as WALCorruptionError).offset).toBe(8);
    expect((err as Error).message).toContain(`${seg} at byte 8`);
  });

  it("refuses a record of an unknown type, naming the segment and offset", async () => {
    const head = await LogHead.open(dir, FAST);
    await head.append(PUSH);
    await head.close();
    // A well-framed record of type 0x05, appended by the metrics WAL's writer.
    const { WAL } = await import("../../metrics/tsdb/wal/index.js");
    const wal = await WAL.open(join(dir, "wal"), { syncMode: "never" });
    await wal.log([Uint8Array.of(5, 1, 2)]);
    await wal.close();
    const err = await LogHead.open(dir, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WALCorruptionError);
    expect((err as WALCorruptionError).reason).toBe("bad_record");
    expect((err as Error).message).toMatch(/00000001 offset \d+/);
  });

  it("checks order per stream: refusals, the out-of-order window and duplicates", async () => {
    const cases: {
      name: string;
      window: bigint;
      entries: [number, string][];
      want: string[];
      refused: number;
      duplicates: number;
    }[] = [
      {
        name: "strict: older refused, equal accepted",
        window: 0n,
        entries: [
          [10, "a"],
          [9, "b"],
          [10, "c"],
          [11, "d"],
        ],
        want: ["10 a", "10 c", "11 d"],
        refused: 1,
        duplicates: 0,
      },
      {
        name: "equal timestamp and line is a duplicate; same line at another time is not",
        window: 0n,
        entries: [
          [10, "a"],
          [10, "a"],
          [11, "a"],
          [11, "b"],
          [11, "b"],
        ],
        want: ["10 a", "11 a", "11 b"],
        refused: 0,
        duplicates: 2,
      },
      {
        name: "window: late entries inside it are placed in order, beyond it refused",
        window: 5n,
        entries: [
          [10, "a"],
          [6, "b"],
          [4, "c"],
          [5, "d"],
          [6, "b"],
          [12, "e"],
          [7, "f"],
          [6, "g"],
        ],
        want: ["5 d", "6 b", "7 f", "10 a", "12 e"],
        refused: 2,
        duplicates: 1,
      },
    ];
    for (const c of cases) {
      const d = await mkdtemp(join(dir, "case-"));
      const head = await LogHead.open(d, { ...FAST, outOfOrderWindowNs: c.window });
      const r = await head.append([
        { labels: [["app", "x"]], entries: c.entries.map(([t, line]) => ({ tsNs: BigInt(t), line })) },
      ]);
      expect(r.refusedByReason.out_of_order ?? 0, c.name).toBe(c.refused);
      expect(r.duplicates, c.name).toBe(c.duplicates);
      expect(r.accepted, c.name).toBe(c.want.length);
      const got = (await all(head.querier())).map((s) => s.slice(2));
      expect(got, c.name).toEqual(c.want);
      await head.close();
      const again = await LogHead.open(d, FAST);
      expect(
        (await all(again.querier())).map((s) => s.slice(2)),
        `${c.name} (replayed)`,
      ).toEqual(c.want);
      await again.close();
    }
  });

  it("refuses bad label sets and timestamps with messages", async () => {
    const head = await LogHead.open(dir, FAST);
    const r = await head.append([
      { labels: [], entries: [{ tsNs: 1n, line: "a" }] },
      {
        labels: [
          ["a", "1"],
          ["a", "2"],
        ],
        entries: [{ tsNs: 1n, line: "a" }],
      },
      { labels: [["a", ""]], entries: [{ tsNs: 1n, line: "a" }] },
      { labels: [["app", "ok"]], entries: [{ tsNs: 2n ** 64n, line: "a" }] },
    ]);
    expect(r.accepted).toBe(0);
    expect(r.refusedByReason).toEqual({ invalid_labels: 3, invalid_timestamp: 1 });
    expect(r.errors).toHaveLength(4);
    expect(head.stats().streams).toBe(0);
    await head.close();
  });

  it("selects streams with =, !=, =~ and !~", async () => {
    const head = await LogHead.open(dir, FAST);
    const streams = [
      { app: "web", env: "prod" },
      { app: "api", env: "prod", team: "core" },
      { app: "db", env: "dev" },
      { app: "web2", team: "edge" },
    ];
    await head.append(
      streams.map((l, i) => ({ labels: Object.entries(l), entries: [{ tsNs: BigInt(i), line: l.app }] })),
    );
    const q = head.querier();
    const cases: [Matcher[], string[]][] = [
      [[new Matcher("=", "app", "web")], ["web"]],
      [[new Matcher("=", "env", "prod")], ["web", "api"]],
      [[new Matcher("!=", "env", "prod")], ["db", "web2"]],
      [[new Matcher("=~", "app", "web.*")], ["web", "web2"]],
      [[new Matcher("!~", "app", "web.*")], ["api", "db"]],
      [
        [new Matcher("=~", "app", ".+"), new Matcher("=", "team", "")],
        ["web", "db"],
      ],
      [
        [new Matcher("=~", "app", ".+"), new Matcher("!=", "team", "")],
        ["api", "web2"],
      ],
      [[new Matcher("=", "env", "prod"), new Matcher("!~", "team", "co.*")], ["web"]],
      [[new Matcher("=", "nope", "x")], []],
      [[new Matcher("=~", "app", "a.*|d.*")], ["api", "db"]],
    ];
    for (const [ms, want] of cases) {
      const got = (await collect(q.select(ms, ALL[0], ALL[1], "forward", Infinity))).map(
        (s) => s.split(" ")[2],
      );
      expect(got, ms.join(",")).toEqual(want);
    }
    expect(await q.labelValues("team", [new Matcher("=", "env", "prod")])).toEqual(["core"]);
    expect(await q.labelNames([new Matcher("=", "app", "db")])).toEqual(["app", "env"]);
    await head.close();
  });

  it("group-commits concurrent appends into fewer syncs, each resolved only after its sync", async () => {
    const head = await LogHead.open(dir, { syncMode: "always" });
    const n = 32;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        head.append([{ labels: [["app", `a${i}`]], entries: [{ tsNs: 1n, line: `line ${i}` }] }]),
      ),
    );
    const s = head.walStats()!;
    expect(s.commits).toBe(n);
    expect(s.syncs).toBeLessThan(n);
    expect(head.stats().entries).toBe(n);
    await head.close();
  });

  it("a query sees the data as of the call", async () => {
    const head = await LogHead.open(dir, FAST);
    await head.append(PUSH);
    const it = head.querier().select([new Matcher("=~", "app", ".+")], ALL[0], ALL[1], "forward", Infinity);
    await head.append([{ labels: [["app", "web"]], entries: [{ tsNs: 1n, line: "later" }] }]);
    expect(await collect(it)).toEqual(WANT);
    await head.close();
  });
});

describe("LogHead against a model", () => {
  it("random appends: same entries, in order, forward and backward, before and after replay", async () => {
    const entryArb = fc.record({
      stream: fc.integer({ min: 0, max: 3 }),
      dt: fc.integer({ min: -3, max: 5 }),
      line: fc.constantFrom("a", "b", "ccc", "ünï", ""),
      meta: fc.boolean(),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(entryArb, { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("forward", "backward") as fc.Arbitrary<LogDirection>,
        fc.integer({ min: 1, max: 40 }),
        async (pushes, direction, limit) => {
          const d = join(dir, `p${run++}`);
          const opts: LogHeadOptions = { ...FAST, chunkTargetBytes: 8, walSegmentBytes: 200 };
          const head = await LogHead.open(d, opts);
          // The model: per stream the accepted entries in order, plus the order/duplicate state.
          const model = new Map<number, { ts: bigint; line: string; meta: boolean; seq: number }[]>();
          let seq = 0;
          const clock = [100n, 100n, 100n, 100n];
          for (const push of pushes) {
            const byStream = new Map<
              number,
              { tsNs: bigint; line: string; structuredMetadata?: [string, string][] }[]
            >();
            for (const e of push) {
              clock[e.stream] = clock[e.stream]! + BigInt(e.dt);
              const ts = clock[e.stream]!;
              const list = byStream.get(e.stream) ?? [];
              byStream.set(e.stream, list);
              list.push(
                e.meta
                  ? { tsNs: ts, line: e.line, structuredMetadata: [["k", e.line]] }
                  : { tsNs: ts, line: e.line },
              );
            }
            let accepted = 0;
            let refused = 0;
            let dups = 0;
            for (const [s, list] of byStream) {
              const m = model.get(s) ?? [];
              model.set(s, m);
              for (const e of list) {
                const last = m.at(-1);
                if (last !== undefined && e.tsNs < last.ts) refused++;
                else if (last !== undefined && e.tsNs === last.ts && e.line === last.line) dups++;
                else {
                  m.push({ ts: e.tsNs, line: e.line, meta: e.structuredMetadata !== undefined, seq: seq++ });
                  accepted++;
                }
              }
            }
            const r = await head.append(
              [...byStream].map(([s, entries]) => ({ labels: [["app", `s${s}`]], entries })),
            );
            expect(r.accepted).toBe(accepted);
            expect(r.duplicates).toBe(dups);
            expect(r.refusedByReason.out_of_order ?? 0).toBe(refused);
          }
          const want: string[] = [];
          const flat = [...model].flatMap(([s, es]) => es.map((e) => ({ s, ...e })));
          flat.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.s - b.s || a.seq - b.seq));
          for (const e of flat) {
            want.push(`s${e.s} ${e.ts} ${e.line}${e.meta ? ` ${JSON.stringify([["k", e.line]])}` : ""}`);
          }
          const expected = (direction === "forward" ? want : [...want].reverse()).slice(0, limit);
          expect(await all(head.querier(), direction, limit)).toEqual(expected);
          await head.close();
          const again = await LogHead.open(d, opts);
          expect(await all(again.querier(), direction, limit)).toEqual(expected);
          await again.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
