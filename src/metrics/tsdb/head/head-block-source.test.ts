import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { STALE_NAN_BITS } from "../../../model/stale.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import type { BlockSeries } from "../block/block-source.js";
import { XOR_CHUNK_TARGET_SAMPLES, XorChunkIterator } from "../chunk/index.js";
import { Head } from "./head.js";
import { HeadAppender } from "./head-appender.js";

const dirs: string[] = [];
const heads: Head[] = [];

afterAll(async () => {
  for (const h of heads) await h.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function openHead(blockDurationMs: number, outOfOrderWindowMs = 0): Promise<Head> {
  const dir = await mkdtemp(join(tmpdir(), "mirador-head-bs-"));
  dirs.push(dir);
  const limiter = new SeriesLimiter("t", new TenantLimits(DEFAULT_LIMITS));
  const head = await Head.open(dir, { limiter, outOfOrderWindowMs, syncMode: "never", blockDurationMs });
  heads.push(head);
  return head;
}

/** A sample whose value is given by its 64 bits, so NaN payloads never pass through a plain array. */
type Row = readonly [t: number, bits: bigint];

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function fromBits(bits: bigint): number {
  u64[0] = bits;
  return f64[0]!;
}

function bitsOf(v: number): bigint {
  f64[0] = v;
  return u64[0]!;
}

/** The bits of the float `x`. */
const num = (x: number): bigint => bitsOf(x);

async function write(head: Head, labels: Labels, rows: readonly Row[]): Promise<void> {
  const app = new HeadAppender(head);
  for (const [t, bits] of rows) app.append(labels, t, fromBits(bits));
  await app.commit();
}

/** The samples of chunk data, as [t, bits]. */
function decode(bytes: Uint8Array): Row[] {
  const out: Row[] = [];
  const it = new XorChunkIterator(bytes);
  while (it.next()) out.push([it.t, bitsOf(it.v)]);
  return out;
}

async function collect(head: Head, mint: number, maxt: number): Promise<BlockSeries[]> {
  const out: BlockSeries[] = [];
  for await (const s of head.blockSource(mint, maxt).series()) out.push(s);
  return out;
}

const series = (name: string, extra: Record<string, string> = {}) =>
  Labels.fromRecord({ __name__: name, ...extra });

describe("Head.blockSource", () => {
  it("yields the series with samples in [mint, maxt), sorted by labels, closed chunks shared as they are", async () => {
    const head = await openHead(1000);
    // Created in reverse label order, so ref order is not label order.
    const c = series("c");
    const b2 = series("b", { i: "2" });
    const b1 = series("b", { i: "1" });
    const a = series("a");
    const old = series("old");
    await write(head, c, [
      [1000, num(1)],
      [1500, num(2)],
      [2000, num(3)],
    ]);
    await write(head, b2, [[1999, num(4)]]);
    await write(head, b1, [
      [500, num(5)],
      [1000, num(6)],
      [3000, num(7)],
    ]);
    await write(head, a, [[1001, num(8)]]);
    await write(head, old, [[999, num(9)]]);
    const got = await collect(head, 1000, 2000);
    expect(got.map((s) => s.labels.toString())).toEqual(["a", 'b{i="1"}', 'b{i="2"}', "c"]);
    for (let i = 1; i < got.length; i++)
      expect(Labels.compare(got[i - 1]!.labels, got[i]!.labels)).toBeLessThan(0);
    const byName = new Map(got.map((s) => [s.labels.toString(), s]));
    expect(byName.get("c")!.chunks.flatMap((ch) => decode(ch.bytes))).toEqual([
      [1000, num(1)],
      [1500, num(2)],
    ]);
    expect(byName.get('b{i="1"}')!.chunks.flatMap((ch) => decode(ch.bytes))).toEqual([[1000, num(6)]]);
    // c's chunk [1000, 1500] is closed (2000 opened the next range): handed on as it is.
    const closed = head.chunksIn(head.refOf(c), 1000, 1999)!.chunks[0]!;
    expect(byName.get("c")!.chunks[0]).toBe(closed);
    for (const s of got) {
      for (const ch of s.chunks) {
        expect(ch.minT).toBeGreaterThanOrEqual(1000);
        expect(ch.maxT).toBeLessThan(2000);
        const rows = decode(ch.bytes);
        expect([rows[0]![0], rows.at(-1)![0]]).toEqual([ch.minT, ch.maxT]);
      }
    }
    // A second pass sees the same.
    expect((await collect(head, 1000, 2000)).map((s) => s.labels.toString())).toEqual(
      got.map((s) => s.labels.toString()),
    );
    expect(await collect(head, 5000, 6000)).toEqual([]);
  });

  it("merges the late samples in range into fresh chunks of at most 120, the in-order sample winning", async () => {
    const head = await openHead(1_000_000, 1_000_000);
    const up = series("up");
    const inOrder: Row[] = [];
    for (let t = 0; t < 1000; t += 4) inOrder.push([t, num(t)]);
    await write(head, up, inOrder);
    const late: Row[] = [];
    for (let t = 2; t < 1000; t += 4) late.push([t, num(-t)]);
    late.push([400, num(-1)]); // a timestamp a chunk holds: the chunk's sample wins
    late.push([1_000_001, num(0)]); // another block range, newer: in order, not late
    await write(head, up, late);
    // 2 … 994 and 400 are late; 998 is newer than 996, the newest in-order sample: in order.
    expect(head.chunksIn(head.refOf(up), 0, 999)!.ooo!.ts.length).toBe(250);
    const [s] = await collect(head, 0, 1_000_000);
    const rows = s!.chunks.flatMap((c) => decode(c.bytes));
    const want = [...inOrder, ...late.slice(0, -2)].sort((x, y) => x[0] - y[0]);
    expect(rows).toEqual(want);
    for (const c of s!.chunks) {
      expect(new XorChunkIterator(c.bytes).numSamples).toBeLessThanOrEqual(XOR_CHUNK_TARGET_SAMPLES);
      expect([c.minT, c.maxT]).toEqual([decode(c.bytes)[0]![0], decode(c.bytes).at(-1)![0]]);
    }
    expect(s!.chunks.length).toBe(Math.ceil(want.length / XOR_CHUNK_TARGET_SAMPLES));
  });

  it("keeps the stale marker and every NaN payload bit for bit, shared, copied or re-encoded", async () => {
    const head = await openHead(1000, 10_000);
    const nan = 0x7ff8000000000001n; // a quiet NaN with a payload
    const negZero = 0x8000000000000000n;
    const up = series("up");
    await write(head, up, [
      [100, STALE_NAN_BITS],
      [200, nan],
      [300, negZero],
      [1100, STALE_NAN_BITS], // the open chunk, in the next range
      [1200, nan],
    ]);
    const other = series("with_late");
    await write(head, other, [
      [100, num(1)],
      [300, STALE_NAN_BITS],
    ]);
    await write(head, other, [[200, nan]]); // late: this series is re-encoded
    const got = await collect(head, 0, 1000);
    const rows = new Map(got.map((s) => [s.labels.toString(), s.chunks.flatMap((c) => decode(c.bytes))]));
    expect(rows.get("up")).toEqual([
      [100, STALE_NAN_BITS],
      [200, nan],
      [300, negZero],
    ]);
    expect(rows.get("with_late")).toEqual([
      [100, num(1)],
      [200, nan],
      [300, STALE_NAN_BITS],
    ]);
    const open = await collect(head, 1000, 2000);
    expect(open[0]!.chunks.flatMap((c) => decode(c.bytes))).toEqual([
      [1100, STALE_NAN_BITS],
      [1200, nan],
    ]);
  });

  it("re-encodes a chunk that reaches out of an unaligned range, keeping only the samples inside", async () => {
    const head = await openHead(7_200_000);
    const up = series("up");
    const rows: Row[] = [];
    for (let t = 0; t < 100; t++) rows.push([t * 10, num(t)]);
    await write(head, up, rows);
    const [s] = await collect(head, 205, 500);
    expect(s!.chunks.flatMap((c) => decode(c.bytes))).toEqual(rows.slice(21, 50));
    expect([s!.chunks[0]!.minT, s!.chunks.at(-1)!.maxT]).toEqual([210, 490]);
    expect(await collect(head, 991, 1000)).toEqual([]);
  });

  it("refuses an empty range", async () => {
    const head = await openHead(1000);
    expect(() => head.blockSource(1000, 1000)).toThrow(RangeError);
  });
});
