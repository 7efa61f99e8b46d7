import { appendFile, mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Logger } from "../../../lib/log/logger.js";
import { RecordDecodeError, WALCorruptionError } from "./errors.js";
import { FRAME_HEADER_BYTES } from "./frame.js";
import { type ReplayOptions, type ReplayReport, replay } from "./replay.js";
import { SEGMENT_HEADER_BYTES, segmentName } from "./segment.js";
import { WAL } from "./wal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-wal-replay-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rec(id: number, size = 16): Uint8Array {
  const r = new Uint8Array(Math.max(5, size));
  r[0] = 2;
  new DataView(r.buffer).setUint32(1, id);
  for (let i = 5; i < r.length; i++) r[i] = (id * 31 + i) & 0xff;
  return r;
}

async function replayIds(
  d: string,
  opts: ReplayOptions = {},
): Promise<{ ids: number[]; report: ReplayReport }> {
  const out: number[] = [];
  const report = await replay(
    d,
    (r) => {
      expect(r).toEqual(rec(new DataView(r.buffer, r.byteOffset).getUint32(1), r.length));
      out.push(new DataView(r.buffer, r.byteOffset).getUint32(1));
    },
    opts,
  );
  return { ids: out, report };
}

/** Segments 1 and 2 with records 0–3 and 4–7 (sizes vary); returns the last frame's offset in segment 2. */
async function twoSegments(): Promise<number> {
  const wal = await WAL.open(dir, { syncMode: "never" });
  await wal.log([rec(0), rec(1, 40), rec(2, 7), rec(3)]);
  await wal.cut();
  await wal.log([rec(4), rec(5, 300)]);
  await wal.log([rec(6, 9), rec(7, 33)]);
  await wal.close();
  return (await stat(join(dir, segmentName(2)))).size - FRAME_HEADER_BYTES - 33;
}

describe("replay", () => {
  it("replays nothing from an absent or empty directory", async () => {
    const { ids, report } = await replayIds(join(dir, "absent"));
    expect(ids).toEqual([]);
    expect(report).toMatchObject({ checkpoint: undefined, segments: [], records: 0, torn: undefined });
  });

  it("reports where each record was read", async () => {
    await twoSegments();
    const seen: string[] = [];
    await replay(dir, (_r, pos) => {
      seen.push(`${pos.segment}@${pos.offset}`);
    });
    expect(seen.slice(0, 2)).toEqual([`1@${SEGMENT_HEADER_BYTES}`, `1@${SEGMENT_HEADER_BYTES + 8 + 16}`]);
    expect(seen).toHaveLength(8);
  });

  it("drops a torn last record at every cut point, without error, and appends cleanly after", async () => {
    const lastFrame = await twoSegments();
    const path = join(dir, segmentName(2));
    const whole = await readFile(path);
    for (let cut = lastFrame; cut < whole.length; cut++) {
      await writeFile(path, whole.subarray(0, cut));
      const { ids, report } = await replayIds(dir);
      expect(ids, `cut at ${cut}`).toEqual([0, 1, 2, 3, 4, 5, 6]);
      if (cut === lastFrame) {
        expect(report.torn).toBeUndefined();
      } else {
        expect(report.torn).toMatchObject({ segment: 2, offset: lastFrame, droppedBytes: cut - lastFrame });
        expect(report.torn?.reason).toBe(
          cut - lastFrame < FRAME_HEADER_BYTES ? "short_header" : "short_record",
        );
      }
      expect((await stat(path)).size).toBe(lastFrame);

      const wal = await WAL.open(dir, { syncMode: "never" });
      expect(wal.repairedTail).toBeUndefined();
      await wal.log([rec(99, 21)]);
      await wal.close();
      expect((await replayIds(dir)).ids).toEqual([0, 1, 2, 3, 4, 5, 6, 99]);
    }
  });

  it("drops a last record whose bytes are damaged (checksum) and a zero-filled tail", async () => {
    const lastFrame = await twoSegments();
    const path = join(dir, segmentName(2));
    const whole = await readFile(path);
    const damaged = new Uint8Array(whole); // a copy: Buffer.slice() would share the bytes
    damaged[damaged.length - 1]! ^= 0x01;
    await writeFile(path, damaged);
    let r = await replayIds(dir);
    expect(r.ids).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.report.torn).toMatchObject({ offset: lastFrame, reason: "checksum" });

    // A file extended with zeros that never got its data (some filesystems after a power loss).
    await writeFile(path, whole);
    await appendFile(path, new Uint8Array(4096));
    r = await replayIds(dir);
    expect(r.ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.report.torn).toMatchObject({ offset: whole.length, droppedBytes: 4096, reason: "bad_length" });
    expect((await stat(path)).size).toBe(whole.length);
  });

  it("stops at damage inside the last segment and drops everything after it (reported)", async () => {
    await twoSegments();
    const path = join(dir, segmentName(2));
    const whole = await readFile(path);
    const damaged = new Uint8Array(whole); // a copy: Buffer.slice() would share the bytes
    const at = SEGMENT_HEADER_BYTES + 8 + 16 + 20; // inside record 5
    damaged[at]! ^= 0x80;
    await writeFile(path, damaged);
    const logged: string[] = [];
    const logger = new Logger({ write: (l) => logged.push(l), pretty: false }, "info");
    const { ids, report } = await replayIds(dir, { logger });
    expect(ids).toEqual([0, 1, 2, 3, 4]);
    expect(report.torn).toMatchObject({
      offset: SEGMENT_HEADER_BYTES + 8 + 16,
      droppedBytes: whole.length - SEGMENT_HEADER_BYTES - 24,
    });
    expect(logged.join("\n")).toContain("torn tail");
  });

  it("a flipped byte in an older segment is a typed error naming the file and offset", async () => {
    await twoSegments();
    const path = join(dir, segmentName(1));
    const bytes = await readFile(path);
    const frame2 = SEGMENT_HEADER_BYTES + 24 + 48; // records 0 (16) and 1 (40) precede it
    bytes[frame2 + 10]! ^= 0x04;
    await writeFile(path, bytes);
    const err = await replayIds(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WALCorruptionError);
    expect(err).toMatchObject({ code: "wal_corrupt", file: path, offset: frame2, reason: "checksum" });
    expect((err as Error).message).toContain(`${path} at byte ${frame2}`);
    expect((err as Error).message).toContain("skip-segment");
    // The file is left alone.
    expect((await stat(path)).size).toBe(bytes.length);
  });

  it("skip-segment loses the rest of a damaged older segment, loudly, and goes on", async () => {
    await twoSegments();
    const path = join(dir, segmentName(1));
    const bytes = await readFile(path);
    const frame2 = SEGMENT_HEADER_BYTES + 24 + 48;
    bytes[frame2 + 4]! = 0xff; // length field: far beyond the file
    await writeFile(path, bytes);
    const logged: string[] = [];
    const logger = new Logger({ write: (l) => logged.push(l), pretty: false }, "info");
    const { ids, report } = await replayIds(dir, { onCorruption: "skip-segment", logger });
    expect(ids).toEqual([0, 1, 4, 5, 6, 7]);
    expect(report.skipped).toEqual([
      { file: path, offset: frame2, droppedBytes: bytes.length - frame2, reason: "bad_length" },
    ]);
    expect(logged.join("\n")).toMatch(/"level":"error".*LOST/);
  });

  it("a missing segment after the first is a typed error", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([rec(1)]);
    await wal.cut();
    await wal.log([rec(2)]);
    await wal.cut();
    await wal.log([rec(3)]);
    await wal.close();
    await unlink(join(dir, segmentName(2)));
    await expect(replayIds(dir)).rejects.toMatchObject({
      reason: "missing_segment",
      file: join(dir, segmentName(2)),
    });
  });

  it("a bad header is a typed error; a last segment shorter than its header gets a fresh one", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([rec(1)]);
    await wal.cut();
    await wal.close();
    await truncate(join(dir, segmentName(2)), 3);
    const { ids, report } = await replayIds(dir);
    expect(ids).toEqual([1]);
    expect(report.torn).toMatchObject({ segment: 2, offset: 0, reason: "short_header" });
    expect((await stat(join(dir, segmentName(2)))).size).toBe(SEGMENT_HEADER_BYTES);

    await writeFile(join(dir, segmentName(1)), "not a segment at all");
    await expect(replayIds(dir)).rejects.toMatchObject({ reason: "bad_header", offset: 0 });
  });

  it("a record that does not decode becomes a corruption error with its position", async () => {
    await twoSegments();
    const err = await replay(dir, (_r, pos) => {
      if (pos.segment === 2) throw new RecordDecodeError(3, "bad varint");
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: "bad_record",
      file: join(dir, segmentName(2)),
      offset: SEGMENT_HEADER_BYTES,
    });
    // Other errors from the handler pass through untouched.
    await expect(
      replay(dir, () => {
        throw new TypeError("mine");
      }),
    ).rejects.toThrow(TypeError);
  });

  it("reports the verified end of the last segment, which WAL.open trusts only while it still holds", async () => {
    await twoSegments();
    const path = join(dir, segmentName(2));
    const size = (await stat(path)).size;
    await appendFile(path, Uint8Array.of(1, 2, 3));
    const { report } = await replayIds(dir);
    expect(report.verifiedEnd).toEqual({ segment: 2, size });

    let wal = await WAL.open(dir, { syncMode: "never", verifiedEnd: report.verifiedEnd });
    await wal.log([rec(8)]);
    await wal.close();
    expect((await replayIds(dir)).ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

    // The file changed since: open checks it again and repairs it.
    await appendFile(path, Uint8Array.of(0, 0, 0, 0));
    wal = await WAL.open(dir, { syncMode: "never", verifiedEnd: report.verifiedEnd });
    expect(wal.repairedTail).toMatchObject({ segment: 2, droppedBytes: 4, reason: "short_header" });
    await wal.log([rec(9)]);
    await wal.close();
    expect((await replayIds(dir)).ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("awaits an async handler", async () => {
    await twoSegments();
    const out: number[] = [];
    await replay(dir, async (r) => {
      await new Promise((res) => setImmediate(res));
      out.push(r[4]!);
    });
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
