import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PositionsFile } from "./positions.js";
import {
  type EntryBatch,
  type LineSink,
  type LogEntry,
  TailManager,
  type TailManagerOptions,
} from "./tail-manager.js";

let dir: string;
const managers: TailManager[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tail-manager-"));
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `cond` until it holds; fails after a generous deadline (not a timing assertion). */
async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function manager(
  opts: Partial<TailManagerOptions> & Pick<TailManagerOptions, "targets" | "onEntries">,
): TailManager {
  const m = new TailManager({
    scanIntervalMs: 10,
    pollIntervalMs: 5,
    onError: (err) => {
      throw err;
    },
    ...opts,
  });
  managers.push(m);
  m.start();
  return m;
}

const TS = "2024-05-01T10:00:00.000000001Z";
const TS_NS = BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 1n;

function podFile(ns: string, pod: string, container: string): string {
  const d = join(dir, "pods", `${ns}_${pod}_uid-${pod}`, container);
  mkdirSync(d, { recursive: true });
  return join(d, "0.log");
}

describe("TailManager", () => {
  it("CRI pod logs: labels from the path, streams kept, partials joined, malformed lines kept with a marker", async () => {
    const f = podFile("shop", "web-1", "nginx");
    writeFileSync(
      f,
      [
        `${TS} stdout F hello`,
        `${TS} stderr P err-`,
        `${TS} stdout P out-`,
        `${TS} stdout F joined`,
        "garbage in the middle",
        `${TS} stderr F joined`,
        "",
      ].join("\n"),
    );
    const got: LogEntry[] = [];
    const m = manager({
      targets: [{ glob: `${dir}/pods/*/*/*.log` }],
      onEntries: async (b) => void got.push(...b.entries),
    });
    await until(() => got.length === 4, "4 entries");
    expect(got.map((e) => [e.stream, e.line, e.error])).toEqual([
      ["stdout", "hello", undefined],
      ["stdout", "out-joined", undefined],
      [undefined, "garbage in the middle", "cri: bad timestamp"],
      ["stderr", "err-joined", undefined],
    ]);
    expect(got[0]!.tsNs).toBe(TS_NS);
    expect(got[0]!.labels).toEqual({
      namespace: "shop",
      pod: "web-1",
      pod_uid: "uid-web-1",
      container: "nginx",
      filename: f,
    });
    expect(m.stats()).toMatchObject({ filesWatched: 1, linesRead: 6, malformedLines: 1, entriesEmitted: 4 });
  });

  it("Docker json-file detected; raw node logs with target labels", async () => {
    const d = join(dir, "docker.log");
    const s = join(dir, "syslog");
    const rec = (log: string, stream: string) => JSON.stringify({ log, stream, time: TS });
    writeFileSync(d, `${rec("a\n", "stdout")}\n${rec("long-", "stderr")}\n${rec("line\n", "stderr")}\n`);
    writeFileSync(s, "May  1 10:00:00 host kernel: hi\n");
    const got: LogEntry[] = [];
    manager({
      targets: [{ glob: `${dir}/*.log` }, { glob: `${dir}/sys*`, format: "raw", labels: { job: "node" } }],
      onEntries: async (b) => void got.push(...b.entries),
    });
    await until(() => got.length === 3, "3 entries");
    const byFile = (p: string) => got.filter((e) => e.path === p).map((e) => [e.stream, e.line]);
    expect(byFile(d)).toEqual([
      ["stdout", "a"],
      ["stderr", "long-line"],
    ]);
    expect(byFile(s)).toEqual([[undefined, "May  1 10:00:00 host kernel: hi"]]);
    expect(got.find((e) => e.path === s)!.labels).toEqual({ job: "node", filename: s });
  });

  it("does not read while the consumer has not resolved, and retries a rejected batch", async () => {
    const f = join(dir, "a.log");
    writeFileSync(f, "1\n");
    let inFlight = 0;
    let maxInFlight = 0;
    let release: (() => void) | undefined;
    let failOnce = true;
    const lines: string[] = [];
    const errors: unknown[] = [];
    const m = manager({
      targets: [{ glob: f, format: "raw" }],
      onError: (err) => void errors.push(err),
      onEntries: async (b) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (b.entries[0]?.line === "1") await new Promise<void>((r) => (release = r));
          if (b.entries[0]?.line === "2" && failOnce) {
            failOnce = false;
            throw new Error("queue full");
          }
          lines.push(...b.entries.map((e) => e.line));
        } finally {
          inFlight--;
        }
      },
    });
    await until(() => release !== undefined, "the first batch");
    const readBefore = m.stats().bytesRead;
    appendFileSync(f, "2\n3\n");
    // Give the loop many chances to read; it must not while the consumer holds the batch.
    await new Promise((r) => setTimeout(r, 50));
    expect(m.stats().bytesRead).toBe(readBefore);
    release!();
    await until(() => lines.length === 3, "3 lines");
    expect(lines).toEqual(["1", "2", "3"]);
    expect(maxInFlight).toBe(1);
    expect(errors.map(String)).toEqual(["Error: queue full"]);
  });

  it("a deleted file is finished, its last unterminated line given, then it is no longer watched", async () => {
    const f = join(dir, "gone.log");
    writeFileSync(f, "a\nb");
    const got: string[] = [];
    const m = manager({
      targets: [{ glob: `${dir}/*.log`, format: "raw" }],
      onEntries: async (b) => void got.push(...b.entries.map((e) => e.line)),
    });
    await until(() => got.length === 1, "first line");
    rmSync(f);
    await until(() => m.stats().filesWatched === 0, "file retired");
    expect(got).toEqual(["a", "b"]);
  });

  it("startAtEnd skips what files held at the first scan, not files found later", async () => {
    const old = join(dir, "old.log");
    writeFileSync(old, "before start\n");
    const got: string[] = [];
    const m = manager({
      targets: [{ glob: `${dir}/*.log`, format: "raw" }],
      startAtEnd: true,
      onEntries: async (b) => void got.push(...b.entries.map((e) => e.line)),
    });
    await until(() => m.stats().filesOpen === 1, "the file opened");
    appendFileSync(old, "after start\n");
    await until(() => got.length === 1, "the appended line");
    writeFileSync(join(dir, "new.log"), "new file, from its beginning\n");
    await until(() => got.length === 2, "the new file");
    expect(got).toEqual(["after start", "new file, from its beginning"]);
  });

  it("while a line is being joined, the position stays at its first piece", async () => {
    const f = join(dir, "p.log");
    const l1 = `${TS} stdout F one\n`;
    const l2 = `${TS} stderr P two-\n`;
    const l3 = `${TS} stdout F three\n`;
    writeFileSync(f, l1 + l2 + l3);
    const batches: EntryBatch[] = [];
    manager({ targets: [{ glob: f, format: "cri" }], onEntries: async (b) => void batches.push(b) });
    await until(() => batches.flatMap((b) => b.entries).length === 2, "2 entries");
    const last = batches.at(-1)!.positions.get(f)!;
    expect(last.offset).toBe(l1.length);
    appendFileSync(f, `${TS} stderr F end\n`);
    await until(() => batches.flatMap((b) => b.entries).length === 3, "the joined line");
    expect(batches.at(-1)!.entries.map((e) => e.line)).toEqual(["two-end"]);
    expect(batches.at(-1)!.positions.get(f)!.offset).toBe(
      l1.length + l2.length + l3.length + `${TS} stderr F end\n`.length,
    );
  });

  it("no loss, no duplicate across rotations and restarts, positions saved only after queueing", async () => {
    const posPath = join(dir, "positions.json");
    const files = [podFile("ns", "a", "c"), podFile("ns", "b", "c")];
    const total = 4000;
    const written = [0, 0];
    const write = (k: number, n: number) => {
      let s = "";
      for (let i = 0; i < n && written[k]! < total; i++) {
        const stream = written[k]! % 3 === 0 ? "stderr" : "stdout";
        s += `${TS} ${stream} F ${k}:${written[k]!++}\n`;
      }
      appendFileSync(files[k]!, s);
    };
    const queued: LogEntry[] = [];
    const start = async () => {
      const pf = await PositionsFile.load(posPath);
      const m = manager({
        targets: [{ glob: `${dir}/pods/*/*/*.log` }],
        positions: pf,
        chunkBytes: 4096,
        onEntries: async (b) => {
          queued.push(...b.entries); // "durably queued"
          pf.setAll(b.positions);
        },
      });
      return { m, pf };
    };
    let cur = await start();
    const queuedOf = (k: number) => queued.filter((e) => e.line.startsWith(`${k}:`)).length;
    for (let step = 1; written[0]! < total || written[1]! < total; step++) {
      const before = [...written];
      write(0, 150);
      write(1, 90);
      if (step % 4 === 0) {
        const k = step % 8 === 0 ? 0 : 1;
        // Rotating twice before the reader reached the first rotated file would lose it (the tailer
        // follows the path); so the reader may lag by this step's lines, not by a rotation.
        await until(() => queuedOf(k) >= before[k]!, "the reader to catch up");
        renameSync(files[k]!, `${files[k]}.${step}`);
        write(k, 20);
      }
      if (step % 5 === 0) {
        await cur.m.stop();
        await cur.pf.stop();
        cur = await start();
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => queued.length >= 2 * total, "all lines");
    await cur.m.stop();
    await cur.pf.stop();
    for (const k of [0, 1]) {
      const nums = queued.filter((e) => e.line.startsWith(`${k}:`)).map((e) => Number(e.line.slice(2)));
      expect(nums).toEqual(Array.from({ length: total }, (_, i) => i));
    }
    expect(queued.every((e) => e.stream === (Number(e.line.slice(2)) % 3 === 0 ? "stderr" : "stdout"))).toBe(
      true,
    );
  });
});

/** What a sink got, one entry per call, bytes copied to text. */
interface SinkLine {
  readonly kind: "bytes" | "text";
  readonly file: string;
  readonly stream: string | undefined;
  readonly ms: number;
  readonly subNs: number;
  readonly line: string;
}

/** A sink recording its lines, and the count it had when each batch went out. */
function recordingSink(): { sink: LineSink; lines: SinkLine[]; labels: Set<object> } {
  const lines: SinkLine[] = [];
  const labels = new Set<object>();
  const sink: LineSink = {
    bytes(file, stream, ms, subNs, data, start, end) {
      labels.add(file);
      let line: string;
      try {
        line = new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(start, end));
      } catch {
        line = "(invalid UTF-8 given as bytes)";
      }
      lines.push({ kind: "bytes", file: file.filename!, stream, ms, subNs, line });
    },
    text(file, stream, ms, subNs, line) {
      labels.add(file);
      lines.push({ kind: "text", file: file.filename!, stream, ms, subNs, line });
    },
  };
  return { sink, lines, labels };
}

describe("TailManager with a sink", () => {
  const MS = Date.UTC(2024, 4, 1, 10);
  const TS_A = "2024-05-01T10:00:00.123456789Z";
  const TS_B = "2024-05-01T10:00:01.000000002Z";

  it("CRI: whole lines as bytes, joined lines as text, invalid UTF-8 as text, malformed as entries", async () => {
    const f = podFile("shop", "web-1", "nginx");
    const long = `${TS_A} stdout F x${"é".repeat(30)}`; // cut at 80 bytes inside an "é"
    const lines = [
      Buffer.from(`${TS_A} stdout F hello`),
      Buffer.from(`${TS_B} stderr P err-`),
      Buffer.from(`${TS_A} stdout F out`),
      Buffer.from(`${TS_A} stderr F joined`),
      Buffer.from("garbage in the middle"),
      Buffer.concat([Buffer.from(`${TS_A} stdout F caf`), Buffer.from([0xff, 0xfe])]),
      Buffer.from(long),
      Buffer.from(`${TS_A} stdout F ünï`),
      Buffer.from(`${TS_A} stdout F`),
    ];
    writeFileSync(f, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
    const { sink, lines: got, labels } = recordingSink();
    const entries: LogEntry[] = [];
    const m = manager({
      targets: [{ glob: `${dir}/pods/*/*/*.log`, sink }],
      maxLineBytes: 80,
      onEntries: async (b) => void entries.push(...b.entries),
    });
    await until(() => got.length === 7 && entries.length === 1, "7 sink lines and 1 entry");
    const a = { file: f, ms: MS + 123, subNs: 456_789 };
    expect(got).toEqual([
      { kind: "bytes", stream: "stdout", line: "hello", ...a },
      { kind: "bytes", stream: "stdout", line: "out", ...a },
      // The joined line has the first piece's time.
      { kind: "text", stream: "stderr", line: "err-joined", file: f, ms: MS + 1000, subNs: 2 },
      { kind: "text", stream: "stdout", line: "caf\uFFFD\uFFFD", ...a },
      // 80 bytes: 40 of framing, "x", 19 "é" and the first byte of the 20th, which is dropped.
      { kind: "bytes", stream: "stdout", line: `x${"é".repeat(19)}`, ...a },
      { kind: "bytes", stream: "stdout", line: "ünï", ...a },
      { kind: "bytes", stream: "stdout", line: "", ...a },
    ]);
    expect(m.stats()).toMatchObject({ sinkLines: 7, malformedLines: 1, linesRead: 9 });
    expect(labels.size).toBe(1);
    expect([...labels][0]).toEqual({
      namespace: "shop",
      pod: "web-1",
      pod_uid: "uid-web-1",
      container: "nginx",
      filename: f,
    });
    expect(entries.map((e) => [e.line, e.error, e.path])).toEqual([
      ["garbage in the middle", "cri: bad timestamp", f],
    ]);
  });

  it("raw lines as bytes with the read time; Docker json-file lines as text, pieces joined", async () => {
    const r = join(dir, "syslog");
    const d = join(dir, "docker.log");
    writeFileSync(
      r,
      Buffer.concat([Buffer.from("plain ✓\nbad "), Buffer.from([0xc3, 0x28]), Buffer.from("\n")]),
    );
    const rec = (log: string, stream: string, time: string) => JSON.stringify({ log, stream, time });
    writeFileSync(
      d,
      `${rec("a\n", "stdout", TS_A)}\n${rec("long-", "stderr", TS_B)}\n${rec("line\n", "stderr", TS_A)}\n`,
    );
    const { sink, lines: got } = recordingSink();
    const before = Date.now();
    manager({
      targets: [
        { glob: `${dir}/sys*`, format: "raw", labels: { job: "node" }, sink },
        { glob: `${dir}/*.log`, sink },
      ],
      onEntries: async () => {},
    });
    await until(() => got.length === 4, "4 sink lines");
    const after = Date.now();
    const raw = got.filter((l) => l.file === r);
    expect(raw.map((l) => [l.kind, l.stream, l.line, l.subNs])).toEqual([
      ["bytes", undefined, "plain ✓", 0],
      ["text", undefined, "bad \uFFFD(", 0],
    ]);
    for (const l of raw) expect(l.ms >= before && l.ms <= after).toBe(true);
    expect(got.filter((l) => l.file === d)).toEqual([
      { kind: "text", file: d, stream: "stdout", line: "a", ms: MS + 123, subNs: 456_789 },
      { kind: "text", file: d, stream: "stderr", line: "long-line", ms: MS + 1000, subNs: 2 },
    ]);
  });

  it("lines cut at maxLineBytes: a split character dropped, an invalid one as text, also when last", async () => {
    const f = join(dir, "cut.log");
    const invalid = Buffer.concat([Buffer.from("ab"), Buffer.from([0xff]), Buffer.from("cdefghijklmn")]);
    writeFileSync(
      f,
      Buffer.concat([Buffer.from(`ok\n${"é".repeat(10)}\nend\n`), invalid, Buffer.from("\n")]),
    );
    const { sink, lines: got } = recordingSink();
    manager({ targets: [{ glob: f, format: "raw", sink }], maxLineBytes: 9, onEntries: async () => {} });
    await until(() => got.length === 4, "4 lines");
    expect(got.map((l) => [l.kind, l.line])).toEqual([
      ["bytes", "ok"],
      ["bytes", "éééé"],
      ["bytes", "end"],
      ["text", "ab\uFFFDcdefgh"],
    ]);
  });

  it("positions go out only after the sink had the lines before them, in batches even with no entries", async () => {
    const f = join(dir, "many.log");
    let content = "";
    for (let i = 0; i < 300; i++) content += `line ${i}\n`;
    writeFileSync(f, content);
    const { sink, lines: got } = recordingSink();
    const checks: { offset: number; had: number; entries: number }[] = [];
    manager({
      targets: [{ glob: f, format: "raw", sink }],
      chunkBytes: 64,
      maxBatchBytes: 200,
      onEntries: async (b) => {
        const pos = b.positions.get(f);
        if (pos !== undefined)
          checks.push({ offset: pos.offset, had: got.length, entries: b.entries.length });
      },
    });
    await until(() => checks.at(-1)?.offset === content.length, "the last position");
    expect(got.map((l) => l.line)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}`));
    expect(checks.length).toBeGreaterThan(3);
    for (const c of checks) {
      const linesBefore = content.slice(0, c.offset).split("\n").length - 1;
      expect(c.had).toBeGreaterThanOrEqual(linesBefore);
      expect(c.entries).toBe(0);
    }
  });

  it("while a line is being joined, the position stays at its first piece; a piece left at the end goes as text", async () => {
    const f = join(dir, "p.log");
    const l1 = `${TS_A} stdout F one\n`;
    const l2 = `${TS_B} stderr P two-\n`;
    const l3 = `${TS_A} stdout F three\n`;
    writeFileSync(f, l1 + l2 + l3);
    const { sink, lines: got } = recordingSink();
    const offsets: number[] = [];
    const m = manager({
      targets: [{ glob: f, format: "cri", sink }],
      onEntries: async (b) => {
        const p = b.positions.get(f);
        if (p !== undefined) offsets.push(p.offset);
      },
    });
    await until(() => got.length === 2 && offsets.length > 0, "2 lines");
    expect(offsets.at(-1)).toBe(l1.length);
    rmSync(f);
    await until(() => m.stats().filesWatched === 0, "file retired");
    expect(got.map((l) => [l.kind, l.stream, l.line, l.ms])).toEqual([
      ["bytes", "stdout", "one", MS + 123],
      ["bytes", "stdout", "three", MS + 123],
      ["text", "stderr", "two-", MS + 1000],
    ]);
  });
});
