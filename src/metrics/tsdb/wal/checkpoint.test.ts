import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { isStaleNaN, STALE_NAN } from "../../../model/stale.js";
import { writeCheckpoint } from "./checkpoint.js";
import {
  decodeSamples,
  decodeSeries,
  encodeSamples,
  encodeSeries,
  RecordBuffer,
  RecordType,
  recordType,
  SampleBatch,
} from "./records.js";
import { replay } from "./replay.js";
import { segmentName } from "./segment.js";
import { WAL } from "./wal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-wal-cp-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const series = (ref: number) => ({ ref, labels: Labels.fromRecord({ __name__: "m", i: String(ref) }) });

function samples(...rows: [number, number, number][]): Uint8Array {
  const b = new SampleBatch();
  for (const [ref, t, v] of rows) b.push(ref, t, v);
  return encodeSamples(b, new RecordBuffer()).slice();
}

/** Replays `d` into lines such as `S 1 {…}` and `s 1 10 0.5`, plus the report. */
async function replayLines(d: string) {
  const lines: string[] = [];
  const batch = new SampleBatch();
  const report = await replay(d, (r, pos) => {
    const where = pos.checkpoint === undefined ? "" : "cp ";
    if (recordType(r) === RecordType.Series) {
      for (const s of decodeSeries(r)) lines.push(`${where}S ${s.ref} ${s.labels.toString()}`);
    } else {
      decodeSamples(r, batch);
      for (let i = 0; i < batch.length; i++) {
        const v = batch.values[i]!;
        lines.push(`${where}s ${batch.refs[i]} ${batch.ts[i]} ${isStaleNaN(v) ? "stale" : v}`);
      }
    }
  });
  return { lines, report };
}

describe("checkpoints", () => {
  it("replace old segments: checkpoint, truncate, replay = checkpoint then newer segments", async () => {
    const out = new RecordBuffer();
    const wal = await WAL.open(dir, { syncMode: "always", segmentBytes: 100 });
    await wal.log([
      encodeSeries([series(1), series(2), series(3)], out).slice(),
      samples([1, 10, 1], [2, 10, 2]),
    ]);
    await wal.log([samples([1, 20, 3], [3, 20, 4])]);
    await wal.log([samples([2, 30, STALE_NAN])]);
    const cut = await wal.cut();
    await wal.log([encodeSeries([series(4)], out).slice(), samples([4, 40, 5], [1, 40, 6])]);
    expect(cut).toBeGreaterThan(2); // the 100-byte cap cut a segment already

    // The head compacted samples before t=25 into a block; series 2 went stale and was dropped.
    const result = await writeCheckpoint(
      dir,
      cut - 1,
      function* () {
        yield encodeSeries([series(1), series(3)], out);
        yield samples([1, 30, 7]);
      },
      { segmentBytes: 256 },
    );
    expect(result).toMatchObject({ through: cut - 1, records: 2, deleted: [] });
    await wal.truncate(cut);
    expect(wal.segments()[0]).toBe(cut);
    await wal.log([samples([3, 50, 8])]);
    await wal.close();

    const { lines, report } = await replayLines(dir);
    expect(report.checkpoint).toBe(cut - 1);
    expect(report.segments[0]).toBe(cut);
    expect(lines).toEqual([
      'cp S 1 m{i="1"}',
      'cp S 3 m{i="3"}',
      "cp s 1 30 7",
      'S 4 m{i="4"}',
      "s 4 40 5",
      "s 1 40 6",
      "s 3 50 8",
    ]);
  });

  it("a crash between checkpoint and truncate: replay skips the segments the checkpoint covers", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([encodeSeries([series(1)], new RecordBuffer()).slice()]);
    const cut = await wal.cut();
    await wal.log([samples([1, 5, 1])]);
    await wal.close();
    await writeCheckpoint(dir, cut - 1, () => [encodeSeries([series(9)], new RecordBuffer())], {
      syncMode: "never",
    });
    const { lines } = await replayLines(dir);
    expect(lines).toEqual(['cp S 9 m{i="9"}', "s 1 5 1"]);
  });

  it("spreads a big checkpoint over several files and deletes older checkpoints", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([samples([1, 1, 1])]);
    const c1 = await wal.cut();
    await writeCheckpoint(dir, c1 - 1, () => [], { syncMode: "never" });
    await wal.truncate(c1);
    await wal.log([samples([1, 2, 2])]);
    const c2 = await wal.cut();
    const out = new RecordBuffer();
    const result = await writeCheckpoint(
      dir,
      c2 - 1,
      function* () {
        for (let r = 1; r <= 50; r++) yield encodeSeries([series(r)], out);
      },
      { syncMode: "never", segmentBytes: 200 },
    );
    expect(result.deleted).toEqual([c1 - 1]);
    const cpFiles = await readdir(result.dir);
    expect(cpFiles.length).toBeGreaterThan(5);
    await wal.truncate(c2);
    await wal.close();
    const { lines, report } = await replayLines(dir);
    expect(report.checkpoint).toBe(c2 - 1);
    expect(lines).toHaveLength(50);
    expect(lines[49]).toBe('cp S 50 m{i="50"}');
    expect((await readdir(dir)).filter((n) => n.startsWith("checkpoint"))).toEqual([
      `checkpoint.${segmentName(c2 - 1)}`,
    ]);
  });

  it("a WAL whose segments are all covered by the checkpoint continues in a new segment", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([samples([1, 1, 1])]);
    await wal.cut();
    await wal.close();
    await writeCheckpoint(dir, 1, () => [samples([7, 7, 7])], { syncMode: "never" });
    await rm(join(dir, segmentName(2))); // as if lost: only segment 1, which the checkpoint covers, is left
    const again = await WAL.open(dir, { syncMode: "never" });
    expect(again.segments()).toEqual([1, 2]);
    await again.log([samples([2, 2, 2])]);
    await again.close();
    expect((await replayLines(dir)).lines).toEqual(["cp s 7 7 7", "s 2 2 2"]);
  });

  it("refuses the segment being written and a checkpoint that exists", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([samples([1, 1, 1])]);
    await expect(writeCheckpoint(dir, 1, () => [])).rejects.toMatchObject({ code: "wal_invalid" });
    await wal.cut();
    await writeCheckpoint(dir, 1, () => [], { syncMode: "never" });
    await expect(writeCheckpoint(dir, 1, () => [])).rejects.toThrow(/already exists/);
    await wal.close();
  });

  it("leaves nothing behind when the source fails, and replay ignores a leftover .tmp", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([samples([1, 1, 1])]);
    await wal.cut();
    await wal.close();
    await expect(
      writeCheckpoint(dir, 1, async function* () {
        yield samples([2, 2, 2]);
        throw new Error("head went away");
      }),
    ).rejects.toThrow("head went away");
    expect((await readdir(dir)).sort()).toEqual([segmentName(1), segmentName(2)]);

    await mkdir(join(dir, "checkpoint.00000001.tmp"));
    await writeFile(join(dir, "checkpoint.00000001.tmp", segmentName(1)), "garbage");
    const { lines, report } = await replayLines(dir);
    expect(report.checkpoint).toBeUndefined();
    expect(lines).toEqual(["s 1 1 1"]);
  });

  it("damage inside a checkpoint is a typed error, never a torn tail", async () => {
    const wal = await WAL.open(dir, { syncMode: "never" });
    await wal.log([samples([1, 1, 1])]);
    await wal.cut();
    await wal.close();
    const { dir: cpDir } = await writeCheckpoint(dir, 1, () => [samples([1, 1, 1]), samples([2, 2, 2])], {
      syncMode: "never",
    });
    const file = join(cpDir, segmentName(1));
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 3));
    await expect(replayLines(dir)).rejects.toMatchObject({
      code: "wal_corrupt",
      file,
      reason: "short_record",
    });
  });
});
