import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileTailer, type LineBatch, type Position, SharedReadBuffer } from "./file-tailer.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tailer-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Got {
  lines: string[];
  cut: boolean[];
  events: string[];
  position: Position | undefined;
}

function take(b: LineBatch, got: Got): void {
  for (let i = 0; i < b.count; i++) {
    got.lines.push(b.data.toString("utf8", b.starts[i]!, b.ends[i]!));
    got.cut.push(b.truncated[i]!);
    if (i > 0) expect(b.offsets[i]).toBeGreaterThan(b.offsets[i - 1]!);
  }
  if (b.event !== undefined) got.events.push(b.event);
  if (b.count > 0) expect(b.position.offset).toBeGreaterThanOrEqual(b.offsets[b.count - 1]!);
  got.position = b.position;
}

/** Reads until the tailer has nothing more (at most `limit` calls). */
async function drain(
  t: FileTailer,
  got: Got = { lines: [], cut: [], events: [], position: undefined },
  limit = 1000,
) {
  for (let i = 0; i < limit; i++) {
    const b = await t.read();
    if (b === null) return got;
    take(b, got);
  }
  throw new Error("tailer did not reach the end");
}

const inodeOf = (p: string) => {
  const s = statSync(p, { bigint: true });
  return `${s.dev}:${s.ino}`;
};

describe("FileTailer", () => {
  it("reads lines, keeps an incomplete one until its newline, and gives positions after each line", async () => {
    const p = join(dir, "a.log");
    writeFileSync(p, "one\ntwo\nthr");
    const t = new FileTailer(p, { chunkBytes: 3 });
    const got = await drain(t);
    expect(got.lines).toEqual(["one", "two"]);
    expect(got.position).toEqual({ inode: inodeOf(p), offset: 8 });
    appendFileSync(p, "ee\n\nfour\n");
    await drain(t, got);
    expect(got.lines).toEqual(["one", "two", "three", "", "four"]);
    expect(t.position).toEqual({ inode: inodeOf(p), offset: 20 });
    expect(t.stats).toMatchObject({ bytesRead: 20, linesRead: 5, linesTruncated: 0 });
    await t.close();
  });

  it("returns null for a missing file and opens it once it appears", async () => {
    const p = join(dir, "later.log");
    const t = new FileTailer(p);
    expect(await t.read()).toBeNull();
    expect(t.gone).toBe(true);
    writeFileSync(p, "x\n");
    expect((await drain(t)).lines).toEqual(["x"]);
    expect(t.gone).toBe(false);
    await t.close();
  });

  it("cuts lines longer than maxLineBytes and skips their rest", async () => {
    const p = join(dir, "long.log");
    writeFileSync(p, `short\n${"a".repeat(25)}\nnext\n${"b".repeat(12)}`);
    const t = new FileTailer(p, { chunkBytes: 4, maxLineBytes: 8 });
    const got = await drain(t);
    appendFileSync(p, "bbb\nend\n");
    await drain(t, got);
    expect(got.lines).toEqual(["short", "aaaaaaaa", "next", "bbbbbbbb", "end"]);
    expect(got.cut).toEqual([false, true, false, true, false]);
    expect(t.stats.linesTruncated).toBe(2);
    expect(t.position?.offset).toBe(statSync(p).size);
    await t.close();
  });

  it("keeps a line of exactly maxLineBytes whole", async () => {
    const p = join(dir, "exact.log");
    writeFileSync(p, "12345678\n");
    const t = new FileTailer(p, { chunkBytes: 3, maxLineBytes: 8 });
    expect(await drain(t)).toMatchObject({ lines: ["12345678"], cut: [false] });
    await t.close();
  });

  it("rename and create: finishes the old file, gives its unterminated last line, then reads the new one from 0", async () => {
    const p = join(dir, "r.log");
    writeFileSync(p, "a1\na2\n");
    const t = new FileTailer(p);
    const got = await drain(t);
    appendFileSync(p, "a3\na4"); // written before the rename, not yet read
    renameSync(p, `${p}.1`);
    const b = await t.read(); // still reading the old descriptor
    expect(b).not.toBeNull();
    take(b!, got);
    appendFileSync(`${p}.1`, "-end\n"); // writer still on the old file
    await drain(t, got);
    expect(t.gone).toBe(true);
    writeFileSync(p, "b1\n");
    await drain(t, got);
    expect(got.lines).toEqual(["a1", "a2", "a3", "a4-end", "b1"]);
    expect(got.events).toEqual(["rotated"]);
    expect(t.position).toEqual({ inode: inodeOf(p), offset: 3 });
    expect(t.stats.rotations).toBe(1);
    await t.close();
  });

  it("reads the rotated files in between when the path rotated twice behind the reader, oldest first", async () => {
    // While running: the reader is at the end of a1 when two renames happen before its next read.
    const p = join(dir, "0.log");
    writeFileSync(p, "a1\n");
    const t = new FileTailer(p);
    const got = await drain(t);
    appendFileSync(p, "a2\n");
    renameSync(p, `${p}.20261121-100000`);
    writeFileSync(p, "b1\nb2\n");
    renameSync(p, `${p}.20261121-100010`);
    writeFileSync(`${p}.20261121-090000.gz`, "compressed: never read\n");
    writeFileSync(join(dir, "1.log.20261121-100005"), "another file's rotation: never read\n");
    writeFileSync(p, "c1\n");
    await drain(t, got);
    expect(got.lines).toEqual(["a1", "a2", "b1", "b2", "c1"]);
    await t.close();

    // After a restart: the saved file rotated away, then another rotation came before the restart.
    const q = join(dir, "q.log");
    writeFileSync(q, "x1\nx2\n");
    const saved = { inode: inodeOf(q), offset: 3 }; // x1 was queued before the stop
    renameSync(q, `${q}.1`);
    writeFileSync(q, "y1\n");
    renameSync(q, `${q}.2`);
    writeFileSync(q, "z1\n");
    const resumed = new FileTailer(q, { position: saved });
    expect((await drain(resumed)).lines).toEqual(["x2", "y1", "z1"]);
    await resumed.close();
  });

  it("copy-truncate: restarts at 0 on the same inode", async () => {
    const p = join(dir, "ct.log");
    writeFileSync(p, "l1\nl2\nl3\n");
    const t = new FileTailer(p);
    const got = await drain(t);
    truncateSync(p, 0);
    appendFileSync(p, "m1\n");
    await drain(t, got);
    expect(got.lines).toEqual(["l1", "l2", "l3", "m1"]);
    expect(got.events).toEqual(["truncated"]);
    expect(t.position).toEqual({ inode: inodeOf(p), offset: 3 });
    expect(t.stats.truncations).toBe(1);
    await t.close();
  });

  it("a file deleted while being read is read to its end, then its remainder is given", async () => {
    const p = join(dir, "del.log");
    writeFileSync(p, `${Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("")}last`);
    const t = new FileTailer(p, { chunkBytes: 64 });
    const first = await t.read();
    expect(first?.count).toBeGreaterThan(0);
    const got: Got = { lines: [], cut: [], events: [], position: undefined };
    take(first!, got);
    rmSync(p);
    await drain(t, got);
    expect(t.gone).toBe(true);
    const rest = t.remainder();
    expect(rest).not.toBeNull();
    take(rest!, got);
    expect(t.remainder()).toBeNull();
    expect(got.lines).toEqual([...Array.from({ length: 100 }, (_, i) => `line ${i}`), "last"]);
    expect(got.events).toEqual(["gone"]);
    await t.close();
  });

  it("restart: resumes at a saved position of the same inode, else from 0", async () => {
    const p = join(dir, "s.log");
    writeFileSync(p, "a\nb\nc\n");
    const ino = inodeOf(p);
    const resumed = new FileTailer(p, { position: { inode: ino, offset: 2 } });
    expect((await drain(resumed)).lines).toEqual(["b", "c"]);
    await resumed.close();
    const other = new FileTailer(p, { position: { inode: "0:0", offset: 2 } });
    expect((await drain(other)).lines).toEqual(["a", "b", "c"]);
    await other.close();
    const beyond = new FileTailer(p, { position: { inode: ino, offset: 100 } }); // truncated while stopped
    expect((await drain(beyond)).lines).toEqual(["a", "b", "c"]);
    await beyond.close();
    const atEnd = new FileTailer(p, { startAtEnd: true });
    expect((await drain(atEnd)).lines).toEqual([]);
    appendFileSync(p, "d\n");
    expect((await drain(atEnd)).lines).toEqual(["d"]);
    await atEnd.close();
  });

  it("no loss, no duplicate: numbered lines across rotations of both kinds and restarts", async () => {
    const p = join(dir, "n.log");
    const total = 5000;
    let written = 0;
    const write = (n: number) => {
      let s = "";
      for (let i = 0; i < n && written < total; i++) s += `line ${written++} ${"x".repeat(written % 50)}\n`;
      appendFileSync(p, s);
    };
    const seen: number[] = [];
    let saved: Position | undefined;
    let t = new FileTailer(p, { chunkBytes: 1000 });
    /** Reads up to `n` chunks ("queues" each batch at once and saves its position). */
    const readSome = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const b = await t.read();
        if (b === null) return;
        for (let j = 0; j < b.count; j++) {
          seen.push(Number(b.data.toString("utf8", b.starts[j]!, b.ends[j]!).split(" ")[1]));
        }
        saved = b.position;
      }
    };
    const restart = async () => {
      await t.close();
      t = new FileTailer(p, { chunkBytes: 1000, position: saved });
    };
    for (let step = 1; written < total; step++) {
      write(97);
      await readSome(2); // falls behind: part of what was written is unread
      if (step % 5 === 0) {
        // rename and create, the old file not read to its end; sometimes a restart before it is
        renameSync(p, `${p}.${step}`);
        write(13);
        if (step % 3 === 0) await restart();
        await readSome(1000); // caught up before the next rotation
      } else if (step % 7 === 0) {
        // copy-truncate once caught up (lines between the last read and the copy are lost by design)
        await readSome(1000);
        truncateSync(p, 0);
        write(5);
      } else if (step % 4 === 0) {
        await restart();
      }
    }
    await readSome(1000);
    await t.close();
    expect(seen.length).toBe(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it("shares one read buffer between tailers read in turn, each keeping its unfinished line", async () => {
    const shared = new SharedReadBuffer();
    const paths = [join(dir, "a.log"), join(dir, "b.log"), join(dir, "c.log")];
    const want: string[][] = [[], [], []];
    paths.forEach((p, k) => {
      const lines = Array.from({ length: 40 }, (_, i) => `${"abc"[k]}${i} ${"é".repeat((i * 7 + k) % 23)}`);
      want[k] = lines;
      writeFileSync(p, `${lines.join("\n")}\n`);
    });
    // Chunks of 16 bytes: most lines are split between reads, and the reads of the files interleave.
    const tailers = paths.map((p) => new FileTailer(p, { chunkBytes: 16, shared }));
    const got: Got[] = paths.map(() => ({ lines: [], cut: [], events: [], position: undefined }));
    for (let done = false; !done; ) {
      done = true;
      for (const [k, t] of tailers.entries()) {
        const b = await t.read();
        if (b === null) continue;
        done = false;
        expect(b.data.buffer).toBe(shared.buf.buffer);
        take(b, got[k]!);
      }
    }
    for (const k of [0, 1, 2]) expect(got[k]!.lines).toEqual(want[k]);
    // An unfinished line is kept aside, and given by remainder() once the file is gone.
    appendFileSync(paths[1]!, "half a line");
    await tailers[0]!.read();
    expect(await tailers[1]!.read()).toMatchObject({ count: 0 });
    appendFileSync(paths[0]!, "more of a\n");
    await drain(tailers[0]!, got[0]!);
    expect(got[0]!.lines.at(-1)).toBe("more of a");
    rmSync(paths[1]!);
    expect(await tailers[1]!.read()).toBeNull();
    const rest = tailers[1]!.remainder()!;
    expect(rest.data.toString("utf8", rest.starts[0]!, rest.ends[0]!)).toBe("half a line");
    for (const t of tailers) await t.close();
  });
});
