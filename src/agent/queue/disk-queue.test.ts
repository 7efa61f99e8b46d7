import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskQueue, type DiskQueueOptions, type QueueBatch } from "./disk-queue.js";
import type { DropReason } from "./errors.js";
import { CURSOR_FILE, FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentName } from "./format.js";
import { scanSegment } from "./frame-reader.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-queue-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Payload `i`: `size` bytes whose content is a function of `i`, so damage and mix-ups show. */
function payload(i: number, size = 10 + (i % 23)): Uint8Array {
  const b = new Uint8Array(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k * 7) & 0xff;
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  return b;
}

/** The `i` a payload was made from (its first two bytes). */
const idOf = (p: Uint8Array) => p[0]! | (p[1]! << 8);

interface Drop {
  reason: DropReason;
  records: number;
  bytes: number;
}

async function openQueue(opts: DiskQueueOptions = {}, drops: Drop[] = []): Promise<DiskQueue> {
  return DiskQueue.open(dir, {
    syncMode: "never",
    onDrop: (reason, records, bytes) => drops.push({ reason, records, bytes }),
    ...opts,
  });
}

/** Reads until nothing is left (without acknowledging); returns the batches. */
async function drain(q: DiskQueue, maxRecords = 1000, maxBytes = 1 << 20): Promise<QueueBatch[]> {
  const out: QueueBatch[] = [];
  for (;;) {
    const b = await q.read(maxRecords, maxBytes, { wait: false });
    if (b === undefined) return out;
    out.push(b);
  }
}

const ids = (bs: readonly QueueBatch[]) => bs.flatMap((b) => b.records.map(idOf));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const segmentFiles = async () => (await readdir(dir)).filter((n) => n.endsWith(".seg")).sort();

describe("DiskQueue", () => {
  it("delivers what was appended, byte for byte, in order, with append times and indexes", async () => {
    let clock = 1_700_000_000_000;
    const q = await openQueue({ now: () => clock++ });
    const sent = range(0, 50).map((i) => payload(i, 1 + i * 13));
    expect(sent.map((p) => q.append(p))).toEqual(range(0, 50));
    const got = await drain(q, 7);
    expect(got.map((b) => b.records.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    expect(got.flatMap((b) => b.records)).toEqual(sent);
    expect(got.map((b) => b.firstIndex)).toEqual([0, 7, 14, 21, 28, 35, 42, 49]);
    expect(got.flatMap((b) => [...b.appendedAt])).toEqual(range(0, 50).map((i) => 1_700_000_000_000 + i));
    expect(got[0]!.bytes).toBe(sent.slice(0, 7).reduce((n, p) => n + p.length, 0));
    expect(q.stats).toMatchObject({
      pendingRecords: 50,
      inFlightBatches: 8,
      appendedRecords: 50,
      readRecords: 50,
    });
    await q.close();
  });

  it("keeps a batch within maxBytes unless one record is larger", async () => {
    const q = await openQueue();
    for (let i = 0; i < 6; i++) q.append(payload(i, 100));
    q.append(payload(6, 1000));
    const got = await drain(q, 100, 250);
    expect(got.map((b) => b.records.length)).toEqual([2, 2, 2, 1]);
    await q.close();
  });

  it("hands out transient records as views into one reused buffer, valid until the next read", async () => {
    const q = await openQueue();
    // Sizes around the first batch's bound, then one record larger than any batch so far.
    const sent = [...range(0, 9).map((i) => payload(i, 90 + i)), payload(9, 700), payload(10, 40)];
    for (const p of sent) q.append(p);
    const seen: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (;;) {
      const b = await q.read(4, 250, { wait: false, transient: true });
      if (b === undefined) break;
      // Copied out before the next read, as a transient reader must.
      for (const r of b.records) {
        seen.push(r.slice());
        buffers.add(r.buffer);
      }
      expect(new Set(b.records.map((r) => r.buffer)).size).toBe(1);
      expect(b.bytes).toBe(b.records.reduce((n, r) => n + r.length, 0));
    }
    expect(seen).toEqual(sent);
    // One buffer for the batches up to 250 bytes, one more once the 700-byte record came.
    expect(buffers.size).toBe(2);
    await q.close();
  });

  it("reuses a transient read's buffer on the next read, and leaves plain reads' records alone", async () => {
    const q = await openQueue();
    for (let i = 0; i < 4; i++) q.append(payload(i, 50));
    const first = (await q.read(2, 1000, { wait: false, transient: true }))!;
    const held = first.records[0]!;
    expect(idOf(held)).toBe(0);
    const second = (await q.read(2, 1000, { wait: false, transient: true }))!;
    expect(second.records[0]!.buffer).toBe(held.buffer);
    // The view from the first read now shows the second read's record.
    expect(idOf(held)).toBe(2);
    q.append(payload(4, 50));
    const plain = (await q.read(1, 1000, { wait: false }))!;
    await q.read(1, 1000, { wait: false, transient: true });
    expect(plain.records[0]!.buffer).not.toBe(held.buffer);
    expect(plain.records[0]).toEqual(payload(4, 50));
    await q.close();
  });

  it("waits in read for an append, and returns undefined on abort and close", async () => {
    const q = await openQueue();
    const waiting = q.read();
    q.append(payload(1));
    expect(ids([(await waiting)!])).toEqual([1]);
    const ac = new AbortController();
    const aborted = q.read(10, 1000, { signal: ac.signal });
    ac.abort();
    expect(await aborted).toBeUndefined();
    const closing = q.read();
    await q.close();
    expect(await closing).toBeUndefined();
  });

  it("redelivers unacknowledged records after a restart, never acknowledged ones", async () => {
    let q = await openQueue();
    for (let i = 0; i < 10; i++) q.append(payload(i));
    const [b1, b2] = [(await q.read(4))!, (await q.read(4))!];
    expect(q.ack(b1.token)).toBe(true);
    expect(q.ack(b1.token)).toBe(false);
    expect(ids([b2])).toEqual([4, 5, 6, 7]);
    await q.close();

    q = await openQueue();
    expect(q.openReport).toEqual({ cursor: "found", tornTails: [], pendingRecords: 6 });
    await q.sync();
    const again = await drain(q);
    expect(ids(again)).toEqual(range(4, 10));
    for (const b of again) q.ack(b.token);
    expect(q.stats.pendingRecords).toBe(0);
    await q.close();

    q = await openQueue();
    expect(q.openReport.pendingRecords).toBe(0);
    expect(await q.read(10, 1000, { wait: false })).toBeUndefined();
    // Indexes go on after the restart.
    expect(q.append(payload(10))).toBe(10);
    expect(ids(await drain(q))).toEqual([10]);
    await q.close();
  });

  it("moves the cursor only over the contiguous acknowledged prefix", async () => {
    let q = await openQueue();
    for (let i = 0; i < 9; i++) q.append(payload(i));
    const [a, b, c] = [(await q.read(3))!, (await q.read(3))!, (await q.read(3))!];
    q.ack(c.token);
    q.ack(b.token);
    expect(q.stats.pendingRecords).toBe(9);
    await q.close();

    // Nothing was acknowledged contiguously from the start: all of it comes again.
    q = await openQueue();
    expect(ids(await drain(q, 3))).toEqual(range(0, 9));
    await q.close();

    q = await openQueue();
    const [a2, b2, c2] = [(await q.read(3))!, (await q.read(3))!, (await q.read(3))!];
    q.ack(b2.token);
    q.ack(a2.token);
    expect(q.stats.pendingRecords).toBe(3);
    q.ack(c2.token);
    expect(q.stats.pendingRecords).toBe(0);
    await q.close();
    expect(a.token).not.toBe(a2.token);

    q = await openQueue();
    expect(await q.read(3, 1000, { wait: false })).toBeUndefined();
    await q.close();
  });

  it("cuts segments at segmentBytes and deletes those acknowledged through", async () => {
    const q = await openQueue({ segmentBytes: 256, maxBytes: 1 << 20 });
    // 100-byte payloads: two frames (232 bytes) and the header fit in a 256-byte segment.
    for (let i = 0; i < 10; i++) q.append(payload(i, 100));
    await q.sync();
    expect(await segmentFiles()).toEqual(range(1, 6).map(segmentName));
    for (const f of await segmentFiles())
      expect((await stat(join(dir, f))).size).toBe(SEGMENT_HEADER_BYTES + 232);
    const got = await drain(q);
    expect(got.map((b) => b.records.length)).toEqual([2, 2, 2, 2, 2]);
    for (const b of got.slice(0, 3)) q.ack(b.token);
    expect(q.stats).toMatchObject({ segments: 2, pendingRecords: 4 });
    await q.close();
    expect(await segmentFiles()).toEqual([segmentName(4), segmentName(5)]);
  });

  it("drops the oldest segments beyond maxBytes, counting what was not read", async () => {
    const drops: Drop[] = [];
    const q = await openQueue({ segmentBytes: 256, maxBytes: 1024 }, drops);
    // A segment holds two 116-byte frames (252 bytes); four fit in 1024.
    for (let i = 0; i < 2; i++) q.append(payload(i, 100));
    const first = (await q.read(1))!;
    for (let i = 2; i < 8; i++) q.append(payload(i, 100));
    expect(drops).toEqual([]);
    // The fifth segment's header and first frame need the oldest segment to go.
    q.append(payload(8, 100));
    // Record 0 had been read (it stays with the sender): only record 1 is lost.
    expect(drops).toEqual([{ reason: "max_bytes", records: 1, bytes: 116 }]);
    expect(q.stats.bytes).toBeLessThanOrEqual(1024);
    for (let i = 9; i < 30; i++) q.append(payload(i, 100));
    expect(q.stats.bytes).toBeLessThanOrEqual(1024);
    expect(q.ack(first.token)).toBe(false);
    const got = ids(await drain(q));
    const lost = drops.reduce((n, d) => n + d.records, 0);
    expect(got.length + lost + 1).toBe(30);
    expect(got).toEqual(range(30 - got.length, 30));
    expect(q.stats.dropped.max_bytes.records).toBe(lost);
    expect(q.stats.pendingRecords).toBe(got.length);
    await q.close();
    const onDisk = await segmentFiles();
    let total = 0;
    for (const f of onDisk) total += (await stat(join(dir, f))).size;
    expect(total).toBeLessThanOrEqual(1024);
  });

  it("skips a damaged frame in the middle of a segment to the next segment, counting the loss", async () => {
    let q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 0; i < 40; i++) q.append(payload(i, 100));
    await q.close();
    // Segment 2 holds records 8..15 (8 frames of 116 bytes per 1024-byte segment); damage record 11.
    const path = join(dir, segmentName(2));
    const offsets: number[] = [];
    await scanSegment(path, (at) => offsets.push(at));
    expect(offsets.length).toBe(8);
    const bytes = await readFile(path);
    bytes[offsets[3]! + FRAME_HEADER_BYTES + 50]! ^= 0xff;
    await writeFile(path, bytes);

    const drops: Drop[] = [];
    q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 }, drops);
    expect(q.openReport.tornTails).toEqual([]);
    const got = await drain(q);
    expect(ids(got)).toEqual([...range(0, 11), ...range(16, 40)]);
    expect(drops).toEqual([{ reason: "corrupt", records: 5, bytes: bytes.length - offsets[3]! }]);
    expect(q.stats.dropped.corrupt.records).toBe(5);
    for (const b of got) q.ack(b.token);
    expect(q.stats.pendingRecords).toBe(0);
    await q.close();

    // Once passed, the damage is not met (or counted) again.
    drops.length = 0;
    q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 }, drops);
    expect(await drain(q)).toEqual([]);
    expect(drops).toEqual([]);
    await q.close();
  });

  it("skips a segment whose header is damaged, counting its records through the index gap", async () => {
    let q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 0; i < 40; i++) q.append(payload(i, 100));
    await q.close();
    const path = join(dir, segmentName(3));
    const bytes = await readFile(path);
    bytes[9]! ^= 0x01;
    await writeFile(path, bytes);

    const drops: Drop[] = [];
    q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 }, drops);
    expect(ids(await drain(q))).toEqual([...range(0, 16), ...range(24, 40)]);
    const lost = drops.filter((d) => d.reason === "corrupt");
    expect(lost.reduce((n, d) => n + d.records, 0)).toBe(8);
    expect(lost.reduce((n, d) => n + d.bytes, 0)).toBe(bytes.length);
    await q.close();
  });

  it("counts the records after the cursor when the cursor's segment has a damaged header", async () => {
    let q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 0; i < 40; i++) q.append(payload(i, 100));
    // Acknowledge records 0..18: the cursor is in segment 3 (records 16..23).
    for (const b of await drain(q, 3)) if (b.firstIndex < 19) q.ack(b.token);
    await q.close();
    const path = join(dir, segmentName(3));
    const bytes = await readFile(path);
    bytes[0]! ^= 0xff;
    await writeFile(path, bytes);

    const drops: Drop[] = [];
    q = await openQueue({ segmentBytes: 1024, maxBytes: 1 << 20 }, drops);
    expect(q.openReport.pendingRecords).toBe(16);
    expect(ids(await drain(q))).toEqual(range(24, 40));
    expect(drops).toEqual([{ reason: "corrupt", records: 5, bytes: bytes.length }]);
    await q.close();
  });

  it("cuts a torn tail off the last segment at open and appends after it", async () => {
    let q = await openQueue();
    for (let i = 0; i < 5; i++) q.append(payload(i));
    await q.close();
    const path = join(dir, segmentName(1));
    const good = (await stat(path)).size;
    // Half a frame, then zeros: what a crash during a write leaves.
    const torn = new Uint8Array(40);
    torn.set([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 30]);
    await writeFile(path, torn, { flag: "a" });

    const drops: Drop[] = [];
    q = await openQueue({}, drops);
    expect(q.openReport.tornTails).toEqual([
      { segment: 1, offset: good, droppedBytes: 40, reason: "short_record" },
    ]);
    expect(drops).toEqual([{ reason: "torn_tail", records: 0, bytes: 40 }]);
    expect((await stat(path)).size).toBe(good);
    q.append(payload(5));
    expect(ids(await drain(q))).toEqual(range(0, 6));
    await q.close();
  });

  it("redelivers everything when the cursor file is unreadable", async () => {
    let q = await openQueue();
    for (let i = 0; i < 5; i++) q.append(payload(i));
    for (const b of await drain(q, 2)) q.ack(b.token);
    await q.close();
    await writeFile(join(dir, CURSOR_FILE), "garbage");
    q = await openQueue();
    expect(q.openReport.cursor).toBe("unreadable");
    expect(ids(await drain(q))).toEqual(range(0, 5));
    await q.close();
  });

  it("reports the append time of the oldest pending record", async () => {
    let clock = 5_000;
    const q = await openQueue({ now: () => (clock += 1000) });
    expect(await q.oldestPendingAppendedAt()).toBeUndefined();
    for (let i = 0; i < 4; i++) q.append(payload(i));
    expect(await q.oldestPendingAppendedAt()).toBe(6_000);
    const a = (await q.read(2))!;
    const b = (await q.read(1))!;
    expect(await q.oldestPendingAppendedAt()).toBe(6_000);
    q.ack(a.token);
    expect(await q.oldestPendingAppendedAt()).toBe(8_000);
    q.ack(b.token);
    expect(await q.oldestPendingAppendedAt()).toBe(9_000);
    for (const x of await drain(q)) q.ack(x.token);
    expect(await q.oldestPendingAppendedAt()).toBeUndefined();
    await q.close();
  });

  it("syncs with real fdatasyncs in the always and interval modes", async () => {
    for (const syncMode of ["always", "interval"] as const) {
      const q = await DiskQueue.open(join(dir, syncMode), { syncMode, segmentBytes: 512, maxBytes: 1 << 20 });
      for (let i = 0; i < 20; i++) q.append(payload(i, 100));
      await q.sync();
      expect(q.stats.syncs).toBeGreaterThan(0);
      expect(ids(await drain(q))).toEqual(range(0, 20));
      await q.close();
      // Reopened, the last segment's durability is unknown: a sync syncs it again.
      const again = await DiskQueue.open(join(dir, syncMode), {
        syncMode,
        segmentBytes: 512,
        maxBytes: 1 << 20,
      });
      await again.sync();
      expect(again.stats.syncs).toBe(1);
      await again.close();
    }
  });

  it("refuses bad records and options with typed errors", async () => {
    await expect(DiskQueue.open(dir, { segmentBytes: 1024, maxBytes: 2000 })).rejects.toMatchObject({
      code: "queue_invalid",
    });
    await expect(DiskQueue.open(dir, { segmentBytes: 10 })).rejects.toMatchObject({ code: "queue_invalid" });
    const q = await openQueue({ segmentBytes: 256, maxBytes: 1024 });
    expect(q.maxPayloadBytes).toBe(256 - 36);
    expect(() => q.append(new Uint8Array(0))).toThrow(expect.objectContaining({ code: "queue_bad_record" }));
    expect(() => q.append(new Uint8Array(221))).toThrow(
      expect.objectContaining({ code: "queue_bad_record" }),
    );
    q.append(new Uint8Array(220).fill(1));
    await q.close();
    expect(() => q.append(payload(1))).toThrow(expect.objectContaining({ code: "queue_closed" }));
    await expect(q.sync()).rejects.toMatchObject({ code: "queue_closed" });
  });

  it("deletes leftovers of a crash and ignores foreign files", async () => {
    await writeFile(join(dir, `${segmentName(7)}.tmp`), "half a segment");
    await writeFile(join(dir, "cursor.tmp"), "half a cursor");
    await writeFile(join(dir, "README"), "not ours");
    const q = await openQueue();
    q.append(payload(1));
    await q.close();
    expect((await readdir(dir)).sort()).toEqual(["README", CURSOR_FILE, segmentName(1)].sort());
  });
});
