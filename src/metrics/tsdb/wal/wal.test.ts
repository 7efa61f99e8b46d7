import { appendFile, mkdir, mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WALError } from "./errors.js";
import { replay } from "./replay.js";
import { SEGMENT_HEADER_BYTES, segmentName } from "./segment.js";
import { WAL } from "./wal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-wal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A record of `size` bytes (type byte 2) carrying `id` in bytes 1–4 and a pattern derived from it. */
function rec(id: number, size = 16): Uint8Array {
  const r = new Uint8Array(Math.max(5, size));
  r[0] = 2;
  new DataView(r.buffer).setUint32(1, id);
  for (let i = 5; i < r.length; i++) r[i] = (id * 31 + i) & 0xff;
  return r;
}

async function replayAll(d: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  await replay(d, (r) => {
    out.push(r.slice());
  });
  return out;
}

const ids = (recs: Uint8Array[]): number[] =>
  recs.map((r) => new DataView(r.buffer, r.byteOffset).getUint32(1));

describe("WAL", () => {
  it("logs records that replay in order, byte for byte", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    expect(wal.segments()).toEqual([1]);
    await wal.log([rec(1), rec(2, 100)]);
    await wal.log([rec(3, 5)]);
    await wal.close();
    const got = await replayAll(dir);
    expect(got).toEqual([rec(1), rec(2, 100), rec(3, 5)]);
  });

  it("group commit: 1000 concurrent commits all resolve, in order, with a handful of fdatasyncs", async () => {
    const wal = await WAL.open(dir, { syncMode: "always" });
    const resolved: number[] = [];
    const n = 1000;
    await Promise.all(Array.from({ length: n }, (_, i) => wal.log([rec(i)]).then(() => resolved.push(i))));
    expect(resolved).toEqual(Array.from({ length: n }, (_, i) => i));
    const s = wal.stats;
    expect(s.commits).toBe(n);
    expect(s.syncs).toBeGreaterThanOrEqual(1);
    expect(s.syncs).toBeLessThanOrEqual(3);
    await wal.close();
    expect(ids(await replayAll(dir))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("group commit: commits arriving during a sync share the next one", async () => {
    const wal = await WAL.open(dir, { syncMode: "always" });
    // 16 writers, each logging again as soon as its previous commit resolved.
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < 800) await wal.log([rec(next++)]);
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    const s = wal.stats;
    expect(s.commits).toBe(800);
    expect(s.syncs).toBeLessThanOrEqual(s.commits / 8);
    await wal.close();
    expect(ids(await replayAll(dir)).sort((a, b) => a - b)).toEqual(Array.from({ length: 800 }, (_, i) => i));
  });

  it("cuts segments on size and never splits one commit across two", async () => {
    const wal = await WAL.open(dir, { syncMode: "never", segmentBytes: 100 });
    // Frames of 8 + 30 bytes: two fit after the 8-byte header (84), a third would not (122).
    for (let i = 0; i < 5; i++) await wal.log([rec(i, 30)]);
    expect(wal.segments()).toEqual([1, 2, 3]);
    // A commit of two frames that does not fit in what is left goes whole to the next segment.
    await wal.log([rec(5, 20), rec(6, 20)]);
    expect(wal.segments()).toEqual([1, 2, 3, 4]);
    // A commit larger than the cap gets a segment of its own.
    await wal.log([rec(7, 500)]);
    await wal.log([rec(8, 10)]);
    expect(wal.segments()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(wal.stats.cuts).toBe(5);
    await wal.close();
    expect((await stat(join(dir, segmentName(5)))).size).toBe(SEGMENT_HEADER_BYTES + 8 + 500);
    expect((await stat(join(dir, segmentName(4)))).size).toBe(SEGMENT_HEADER_BYTES + 2 * 28);
    expect(ids(await replayAll(dir))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("cut() starts a segment after what was logged; truncate() deletes older ones only", async () => {
    const wal = await WAL.open(dir, { syncMode: "always" });
    const first = wal.log([rec(1)]);
    const cut = wal.cut();
    const second = wal.log([rec(2)]);
    await Promise.all([first, second]);
    expect(await cut).toBe(2);
    expect(await wal.cut()).toBe(3);
    await wal.log([rec(3)]);
    expect(wal.segments()).toEqual([1, 2, 3]);
    await expect(wal.truncate(4)).rejects.toMatchObject({ code: "wal_invalid" });
    await wal.truncate(2);
    expect(wal.segments()).toEqual([2, 3]);
    expect((await readdir(dir)).sort()).toEqual([segmentName(2), segmentName(3)]);
    await wal.truncate(3);
    await wal.close();
    expect(ids(await replayAll(dir))).toEqual([3]);

    // Reopening appends to the last segment.
    const again = await WAL.open(dir, { syncMode: "never" });
    expect(again.currentSegment).toBe(3);
    await again.log([rec(4)]);
    await again.close();
    expect(ids(await replayAll(dir))).toEqual([3, 4]);
  });

  it("close() waits for queued commits; later calls are refused", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    const pending = wal.log([rec(1)]);
    await wal.close();
    await pending;
    await expect(wal.log([rec(2)])).rejects.toMatchObject({ code: "wal_closed" });
    await expect(wal.cut()).rejects.toBeInstanceOf(WALError);
    await wal.close();
    expect(ids(await replayAll(dir))).toEqual([1]);
  });

  it("refuses an empty record; log([]) is a barrier", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await expect(wal.log([new Uint8Array(0)])).rejects.toMatchObject({ code: "wal_bad_record" });
    const a = wal.log([rec(1)]);
    await wal.log([]);
    await a;
    expect(wal.stats.commits).toBe(2);
    await wal.close();
  });

  it("copies records at log() so the caller may reuse its buffer", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    const buf = rec(1);
    const p = wal.log([buf]);
    buf.fill(0xff);
    await p;
    await wal.close();
    expect(await replayAll(dir)).toEqual([rec(1)]);
  });

  it("open() cuts a torn tail off the last segment before appending", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([rec(1), rec(2)]);
    await wal.close();
    const path = join(dir, segmentName(1));
    const good = (await stat(path)).size;
    await appendFile(path, Uint8Array.of(0, 0, 0, 9, 0, 0, 0, 40, 2, 2)); // a frame cut short
    const again = await WAL.open(dir, { syncMode: "never" });
    expect(again.repairedTail).toMatchObject({
      segment: 1,
      offset: good,
      droppedBytes: 10,
      reason: "short_record",
    });
    await again.log([rec(3)]);
    await again.close();
    expect(ids(await replayAll(dir))).toEqual([1, 2, 3]);
  });

  it("open() deletes leftovers of a crash during segment creation or checkpointing", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([rec(1)]);
    await wal.close();
    await appendFile(join(dir, `${segmentName(2)}.tmp`), "MWAL");
    await mkdir(join(dir, "checkpoint.00000001.tmp"));
    await appendFile(join(dir, "checkpoint.00000001.tmp", segmentName(1)), "MWAL");
    const again = await WAL.open(dir, { syncMode: "never" });
    await again.close();
    expect(await readdir(dir)).toEqual([segmentName(1)]);
  });

  it("after a failed fdatasync, rejects the batch and every later call (wal_failed)", async () => {
    const wal = await WAL.open(dir, { syncMode: "always" });
    await wal.log([rec(1)]);
    const probe = await open(join(dir, segmentName(1)), "r");
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const spy = vi
      .spyOn(proto, "datasync")
      .mockRejectedValueOnce(Object.assign(new Error("EIO"), { code: "EIO" }));
    try {
      const results = await Promise.allSettled([wal.log([rec(2)]), wal.log([rec(3)])]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
      const err = (results[0] as PromiseRejectedResult).reason as WALError;
      expect(err).toBeInstanceOf(WALError);
      expect(err.code).toBe("wal_failed");
      expect(err.message).toContain(join(dir, segmentName(1)));
      expect(err.message).toContain("restart");
      await expect(wal.log([rec(4)])).rejects.toMatchObject({ code: "wal_failed" });
      await expect(wal.cut()).rejects.toMatchObject({ code: "wal_failed" });
    } finally {
      spy.mockRestore();
    }
    await wal.close();
    // Record 1 was acknowledged before the failure; 2 and 3 may or may not be on disk.
    expect(ids(await replayAll(dir))[0]).toBe(1);
  });

  it("refuses a segment size below the minimum", async () => {
    await expect(WAL.open(dir, { segmentBytes: 10 })).rejects.toMatchObject({ code: "wal_invalid" });
  });
});
