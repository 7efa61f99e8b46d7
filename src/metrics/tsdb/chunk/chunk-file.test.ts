import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CHUNK_SEGMENT_HEADER_BYTES,
  ChunkFileError,
  ChunkFileReader,
  ChunkFileWriter,
  chunkRef,
  chunkRefOffset,
  chunkRefSegment,
} from "./chunk-file.js";
import { crc32c } from "./crc32c.js";
import { XorChunkAppender, XorChunkIterator } from "./xor-chunk.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirador-chunks-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real XOR chunk of `n` samples whose values start at `v0`. */
function xorChunk(n: number, v0: number): Uint8Array {
  const a = new XorChunkAppender();
  for (let i = 0; i < n; i++) a.append(1_700_000_000_000 + i * 15_000, v0 + i * 3.5);
  return a.bytes().slice();
}

async function writeAll(chunks: Uint8Array[], options = {}): Promise<number[]> {
  const w = await ChunkFileWriter.create(dir, options);
  const refs: number[] = [];
  for (const c of chunks) refs.push(await w.append(c));
  await w.close();
  return refs;
}

async function errorOf(f: () => unknown): Promise<ChunkFileError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChunkFileError);
    return e as ChunkFileError;
  }
  throw new Error("no error");
}

describe("chunk references", () => {
  it.each([
    [0, 8],
    [1, 8],
    [3, 0xffffffff],
    [2 ** 21 - 1, 12345],
  ])("segment %d, offset %d", (segment, offset) => {
    const ref = chunkRef(segment, offset);
    expect(ref).toBe(Number((BigInt(segment) << 32n) | BigInt(offset)));
    expect([chunkRefSegment(ref), chunkRefOffset(ref)]).toEqual([segment, offset]);
  });
});

describe("ChunkFileWriter and ChunkFileReader", () => {
  it("round-trips chunks across segment cuts", async () => {
    const chunks = Array.from({ length: 200 }, (_, i) => xorChunk(1 + (i % 120), i));
    const refs = await writeAll(chunks, { segmentBytes: 4096, bufferBytes: 1000 });
    const files = (await readdir(dir)).sort();
    expect(files.length).toBeGreaterThan(3);
    expect(files).toEqual(files.map((_, i) => String(i + 1).padStart(6, "0")));
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect(bytes.subarray(0, 8).toString("hex")).toBe("85bd40dd01000000");
      expect(bytes.length).toBeLessThanOrEqual(4096);
    }
    // References: segment index and offset, increasing, the first of each segment right after the header.
    expect(chunkRefOffset(refs[0]!)).toBe(CHUNK_SEGMENT_HEADER_BYTES);
    for (let i = 1; i < refs.length; i++) {
      expect(refs[i]!).toBeGreaterThan(refs[i - 1]!);
      if (chunkRefSegment(refs[i]!) !== chunkRefSegment(refs[i - 1]!)) {
        expect(chunkRefOffset(refs[i]!)).toBe(CHUNK_SEGMENT_HEADER_BYTES);
      }
    }
    const r = await ChunkFileReader.open(dir);
    expect(r.segmentCount).toBe(files.length);
    const it = new XorChunkIterator();
    for (const [i, ref] of refs.entries()) {
      const data = r.chunk(ref);
      expect(data).toEqual(chunks[i]);
      it.reset(data);
      let n = 0;
      while (it.next()) n++;
      expect(n).toBe(1 + (i % 120));
    }
    // In any order, again.
    for (let i = refs.length - 1; i >= 0; i -= 7) expect(r.chunk(refs[i]!)).toEqual(chunks[i]);
    await r.close();
  });

  it("frames a chunk as len | encoding | data | CRC32C(encoding, data) big-endian", async () => {
    const data = xorChunk(2, 1);
    const [ref] = await writeAll([data]);
    expect(ref).toBe(8);
    const file = new Uint8Array(await readFile(join(dir, "000001")));
    expect(file.length).toBe(8 + 1 + 1 + data.length + 4);
    expect(file[8]).toBe(data.length);
    expect(file[9]).toBe(1);
    expect(file.subarray(10, 10 + data.length)).toEqual(data);
    const crc = crc32c(file, 0, 9, 10 + data.length);
    expect(Buffer.from(file.subarray(10 + data.length)).readUInt32BE(0)).toBe(crc);
  });

  it("copies the data: the caller may reuse its buffer", async () => {
    const w = await ChunkFileWriter.create(dir);
    const buf = xorChunk(10, 0);
    const want = buf.slice();
    const ref = await w.append(buf);
    buf.fill(0);
    await w.close();
    const r = await ChunkFileReader.open(dir);
    expect(r.chunk(ref)).toEqual(want);
    await r.close();
  });

  it("reads chunks larger than one read window, and ones alone in an oversized segment", async () => {
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    const small = xorChunk(5, 0);
    const refs = await writeAll([small, big, small, big], { segmentBytes: 1024, bufferBytes: 4096 });
    expect(refs.map(chunkRefSegment)).toEqual([0, 1, 2, 3]);
    const r = await ChunkFileReader.open(dir);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    expect(same(r.chunk(refs[1]!), big)).toBe(true);
    expect(r.chunk(refs[0]!)).toEqual(small);
    expect(same(r.chunk(refs[3]!), big)).toBe(true);
    expect(r.chunk(refs[2]!)).toEqual(small);
    await r.close();
  });

  it("continues numbering after a reopen, never writing to old files", async () => {
    const first = await writeAll([xorChunk(3, 1), xorChunk(3, 2)]);
    const before = await readFile(join(dir, "000001"));
    const second = await writeAll([xorChunk(4, 5)]);
    expect(await readFile(join(dir, "000001"))).toEqual(before);
    expect(chunkRefSegment(second[0]!)).toBe(1);
    const r = await ChunkFileReader.open(dir);
    expect(r.segmentCount).toBe(2);
    expect(r.chunk(first[1]!)).toEqual(xorChunk(3, 2));
    expect(r.chunk(second[0]!)).toEqual(xorChunk(4, 5));
    await r.close();
  });

  it("makes chunks readable after flush, also to a reader opened before", async () => {
    const w = await ChunkFileWriter.create(dir);
    const a = await w.append(xorChunk(3, 1));
    await w.flush();
    const r = await ChunkFileReader.open(dir);
    expect(r.chunk(a)).toEqual(xorChunk(3, 1));
    const b = await w.append(xorChunk(4, 1));
    await w.sync();
    expect(r.chunk(b)).toEqual(xorChunk(4, 1));
    await w.close();
    await r.close();
  });

  it("creates no file when nothing is written, and an empty directory reads as no segments", async () => {
    const w = await ChunkFileWriter.create(join(dir, "chunks"));
    await w.close();
    await w.close();
    expect(await readdir(join(dir, "chunks"))).toEqual([]);
    const r = await ChunkFileReader.open(join(dir, "chunks"));
    expect(r.segmentCount).toBe(0);
    expect((await errorOf(() => r.chunk(8))).code).toBe("chunk_ref");
    await r.close();
  });

  it("refuses overlapping calls and calls after close", async () => {
    const w = await ChunkFileWriter.create(dir);
    const first = w.append(xorChunk(1, 1));
    await expect(w.append(xorChunk(1, 2))).rejects.toThrow(/in progress/);
    await first;
    await w.close();
    await expect(w.append(xorChunk(1, 3))).rejects.toThrow(/closed/);
  });

  it("refuses options out of range", async () => {
    await expect(ChunkFileWriter.create(dir, { segmentBytes: 2 ** 32 + 1 })).rejects.toThrow(RangeError);
    await expect(ChunkFileWriter.create(dir, { segmentBytes: 10 })).rejects.toThrow(RangeError);
    await expect(ChunkFileWriter.create(dir, { bufferBytes: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe("ChunkFileReader refuses damaged files", () => {
  let refs: number[];
  let path: string;
  beforeEach(async () => {
    refs = await writeAll([xorChunk(10, 1), xorChunk(20, 2), xorChunk(30, 3)]);
    path = join(dir, "000001");
  });

  async function patch(offset: number, f: (b: number) => number): Promise<void> {
    const bytes = await readFile(path);
    bytes[offset] = f(bytes[offset]!);
    await writeFile(path, bytes);
  }

  it("a flipped data byte: chunk_checksum naming the file and the chunk's offset", async () => {
    const ref = refs[1]!;
    await patch(chunkRefOffset(ref) + 10, (b) => b ^ 0x01);
    const r = await ChunkFileReader.open(dir);
    expect(r.chunk(refs[0]!)).toEqual(xorChunk(10, 1));
    const e = await errorOf(() => r.chunk(ref));
    expect([e.code, e.file, e.offset]).toEqual(["chunk_checksum", path, chunkRefOffset(ref)]);
    expect(e.message).toContain(path);
    expect(e.message).toContain(`offset ${chunkRefOffset(ref)}`);
    expect(r.chunk(refs[2]!)).toEqual(xorChunk(30, 3));
    await r.close();
  });

  it("a flipped encoding byte or CRC byte: chunk_checksum", async () => {
    await patch(chunkRefOffset(refs[0]!) + 1, (b) => b ^ 0x02);
    const end = chunkRefOffset(refs[2]!);
    await patch(end - 1, (b) => b ^ 0x80);
    const r = await ChunkFileReader.open(dir);
    expect((await errorOf(() => r.chunk(refs[0]!))).code).toBe("chunk_checksum");
    expect((await errorOf(() => r.chunk(refs[1]!))).code).toBe("chunk_checksum");
    await r.close();
  });

  it("a damaged length: chunk_truncated or chunk_checksum, never wrong data", async () => {
    await patch(chunkRefOffset(refs[2]!), (b) => b + 1);
    await patch(chunkRefOffset(refs[1]!), (b) => b - 1);
    const r = await ChunkFileReader.open(dir);
    expect((await errorOf(() => r.chunk(refs[2]!))).code).toBe("chunk_truncated");
    expect((await errorOf(() => r.chunk(refs[1]!))).code).toBe("chunk_checksum");
    await r.close();
  });

  it("a file cut short: chunk_truncated", async () => {
    const bytes = await readFile(path);
    await truncate(path, bytes.length - 3);
    const r = await ChunkFileReader.open(dir);
    const e = await errorOf(() => r.chunk(refs[2]!));
    expect([e.code, e.offset]).toEqual(["chunk_truncated", chunkRefOffset(refs[2]!)]);
    await r.close();
  });

  it("references outside the files: chunk_ref", async () => {
    const r = await ChunkFileReader.open(dir);
    for (const ref of [chunkRef(1, 8), chunkRef(0, 3), chunkRef(0, 1 << 20), -1, 1.5]) {
      expect((await errorOf(() => r.chunk(ref))).code).toBe("chunk_ref");
    }
    await r.close();
  });

  it("a chunk of another encoding: chunk_encoding", async () => {
    const w = await ChunkFileWriter.create(dir);
    const ref = await w.append(new Uint8Array([1, 2, 3]), 2);
    await w.close();
    const r = await ChunkFileReader.open(dir);
    const e = await errorOf(() => r.chunk(ref));
    expect([e.code, e.file]).toEqual(["chunk_encoding", join(dir, "000002")]);
    await r.close();
  });

  it("a wrong magic, version or a short file: segment_header on open", async () => {
    await patch(0, (b) => b ^ 0xff);
    expect((await errorOf(() => ChunkFileReader.open(dir))).code).toBe("segment_header");
    await patch(0, (b) => b ^ 0xff);
    await patch(4, () => 2);
    const e = await errorOf(() => ChunkFileReader.open(dir));
    expect([e.code, e.file, e.offset]).toEqual(["segment_header", path, 4]);
    await writeFile(path, new Uint8Array([0x85, 0xbd]));
    expect((await errorOf(() => ChunkFileReader.open(dir))).code).toBe("segment_header");
  });

  it("a missing segment: segment_sequence", async () => {
    await writeAll([xorChunk(1, 1)]);
    await writeAll([xorChunk(1, 1)]);
    await rm(join(dir, "000002"));
    const e = await errorOf(() => ChunkFileReader.open(dir));
    expect([e.code, e.file]).toEqual(["segment_sequence", join(dir, "000003")]);
  });
});
