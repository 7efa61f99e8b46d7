import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogMetadata } from "./block-payload.js";
import {
  ChunkBuilder,
  ChunkReader,
  LOG_CHUNK_INDEX_ENTRY_BYTES,
  LogChunkError,
  type LogChunkVersion,
  type LogEntry,
  logChunkChecksum,
} from "./chunk.js";
import { LOG_CODECS, type LogCodecName } from "./codec.js";
import { logCorpus } from "./log-corpus.js";

const CODECS = Object.keys(LOG_CODECS) as LogCodecName[];
const ALL: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];

interface In {
  ts: bigint;
  line: string;
  metadata?: LogMetadata;
}

function build(entries: readonly In[], codec: LogCodecName, blockBytes: number): Uint8Array {
  const b = new ChunkBuilder({ codec, blockBytes });
  for (const e of entries) b.append(e.ts, e.line, e.metadata);
  return b.finish();
}

function plain(es: Iterable<LogEntry>): In[] {
  return [...es].map((e) => ({ ts: e.tsNs, line: e.line, ...(e.metadata ? { metadata: e.metadata } : {}) }));
}

/** Re-seals a chunk after a mutation: header, block and index checksums recomputed. */
function reseal(bytes: Uint8Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = dv.getUint8(4);
  if (v !== 1 && v !== 2 && v !== 3) return;
  const crc = (start: number, end: number): number =>
    logChunkChecksum(v as LogChunkVersion, bytes, start, end);
  dv.setUint32(36, crc(0, 36));
  const n = dv.getUint32(12);
  const idx = dv.getUint32(32);
  if (idx + n * LOG_CHUNK_INDEX_ENTRY_BYTES + 4 !== bytes.length) return;
  for (let i = 0; i < n; i++) {
    const p = idx + i * LOG_CHUNK_INDEX_ENTRY_BYTES;
    const off = dv.getUint32(p);
    const len = dv.getUint32(p + 4);
    if (off + len <= bytes.length) dv.setUint32(p + 32, crc(off, off + len));
  }
  const end = idx + n * LOG_CHUNK_INDEX_ENTRY_BYTES;
  dv.setUint32(end, crc(idx, end));
}

/** Reads everything; returns the error code, or "ok". Anything but a LogChunkError fails the test. */
function readAll(bytes: Uint8Array): string {
  try {
    const r = new ChunkReader(bytes);
    for (const _ of r.entries(ALL[0], ALL[1])) {
      // drain
    }
    for (const _ of r.entries(ALL[0], ALL[1], "backward")) {
      // drain
    }
    for (const needle of ["e", "zz", "trace"]) {
      for (const _ of r.entriesContaining(needle, ALL[0], ALL[1])) {
        // drain
      }
    }
    return "ok";
  } catch (err) {
    if (err instanceof LogChunkError) return err.code;
    throw err;
  }
}

const entryArb = fc.record(
  {
    gap: fc.oneof(fc.constant(0n), fc.bigInt(0n, 1000n), fc.bigInt(0n, 2n ** 60n)),
    line: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 50 })),
    metadata: fc.option(
      fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { maxLength: 3 }),
      {
        nil: undefined,
      },
    ),
  },
  { requiredKeys: ["gap", "line"] },
);

const streamArb = fc
  .tuple(fc.bigInt(-(2n ** 62n), 2n ** 62n), fc.array(entryArb, { maxLength: 300 }))
  .map(([start, es]) => {
    let t = start;
    return es.map((e): In => {
      t += e.gap;
      // Reads take [from, to) with to ≤ int64 max, so the newest readable timestamp is one below it.
      if (t > 2n ** 63n - 2n) t = 2n ** 63n - 2n;
      // Empty metadata and none are the same thing on disk.
      return e.metadata && e.metadata.length > 0
        ? { ts: t, line: e.line, metadata: e.metadata }
        : { ts: t, line: e.line };
    });
  });

describe("ChunkBuilder and ChunkReader", () => {
  it("round-trips random entries with every codec and block size, both directions", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.constantFrom(...CODECS),
        fc.constantFrom(1, 100, 4096),
        (es, codec, blockBytes) => {
          const r = new ChunkReader(build(es, codec, blockBytes));
          expect(r.entryCount).toBe(es.length);
          expect(plain(r.entries(ALL[0], ALL[1]))).toEqual(es);
          expect(plain(r.entries(ALL[0], ALL[1], "backward"))).toEqual([...es].reverse());
        },
      ),
      { numRuns: 150 },
    );
  });

  it("returns exactly the entries in [from, to)", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.bigInt(-(2n ** 62n), 2n ** 62n),
        fc.bigInt(0n, 2n ** 61n),
        (es, from, width) => {
          const to = from + width;
          const r = new ChunkReader(build(es, "deflate", 200));
          const want = es.filter((e) => e.ts >= from && e.ts < to);
          expect(plain(r.entries(from, to))).toEqual(want);
          expect(plain(r.entries(from, to, "backward"))).toEqual([...want].reverse());
        },
      ),
      { numRuns: 100 },
    );
  });

  it("skips blocks outside the range without decompressing them", () => {
    const b = new ChunkBuilder({ blockBytes: 10 });
    for (let i = 0; i < 100; i++) b.append(i * 1000, `line ${i} padded to ten`);
    const bytes = b.finish();
    const r = new ChunkReader(bytes);
    expect(r.blocks.length).toBe(100);
    // Break block 0's checksum: a read that skips it must still succeed.
    bytes[r.blocks[0]!.offset]! ^= 0xff;
    expect(plain(r.entries(50_000n, 52_000n)).map((e) => e.line)).toEqual([
      "line 50 padded to ten",
      "line 51 padded to ten",
    ]);
    expect(() => [...r.entries(0n, 1n)]).toThrow(LogChunkError);
  });

  it("refuses entries out of time order and timestamps that are not int64 nanoseconds", () => {
    const cases: [string, () => void, string][] = [
      [
        "older entry",
        () => {
          const b = new ChunkBuilder();
          b.append(10n, "a");
          b.append(9n, "b");
        },
        "out_of_order",
      ],
      ["unsafe number", () => new ChunkBuilder().append(2 ** 60, "a"), "invalid_timestamp"],
      ["beyond int64", () => new ChunkBuilder().append(2n ** 63n, "a"), "invalid_timestamp"],
    ];
    for (const [name, f, code] of cases) {
      expect(f, name).toThrow(expect.objectContaining({ code }));
    }
  });

  it("encodes the example of docs/format/log-chunk.md", () => {
    const b = new ChunkBuilder({ codec: "none" });
    b.append(1_700_000_000_000_000_000n, "GET /");
    b.append(1_700_000_000_000_001_500n, "POST /a");
    const bytes = b.finish();
    expect(Buffer.from(bytes.subarray(40, 74)).toString("hex")).toBe(
      "02000000" + "00000004" + "00000002" + "00000002" + "00dc0005" + "0507" + "474554202f504f5354202f61",
    );
    expect(bytes.length).toBe(40 + 34 + 36 + 4);
    const r = new ChunkReader(bytes);
    expect(r.blocks[0]).toMatchObject({
      offset: 40,
      rawLength: 18,
      count: 2,
      minTs: 1_700_000_000_000_000_000n,
    });
    expect(plain(r.entries(ALL[0], ALL[1])).map((e) => e.line)).toEqual(["GET /", "POST /a"]);
  });

  it("encodes the version 2 example of docs/format/log-chunk.md", () => {
    const b = new ChunkBuilder({ codec: "none", version: 2 });
    b.append(1_700_000_000_000_000_000n, "GET /");
    b.append(1_700_000_000_000_001_500n, "POST /a");
    const bytes = b.finish();
    expect(Buffer.from(bytes.subarray(40, 59)).toString("hex")).toBe(
      "0200dc0b050700474554202f504f5354202f61",
    );
    expect(bytes.length).toBe(40 + 19 + 36 + 4);
    const r = new ChunkReader(bytes);
    expect(r.blocks[0]).toMatchObject({
      offset: 40,
      rawLength: 19,
      count: 2,
      minTs: 1_700_000_000_000_000_000n,
    });
  });

  it("reads an empty chunk", () => {
    const r = new ChunkReader(new ChunkBuilder().finish());
    expect(r.entryCount).toBe(0);
    expect([...r.entries(ALL[0], ALL[1])]).toEqual([]);
  });

  it("finds lines containing a needle without matching across line boundaries", () => {
    const b = new ChunkBuilder({ codec: "snappy" });
    const lines = ["foo", "bar", "xfoox", "fo", "obaz", "", "foo"];
    lines.forEach((l, i) => {
      b.append(i, l);
    });
    const block = new ChunkReader(b.finish()).block(0);
    const hits = (needle: string): number[] => {
      const out: number[] = [];
      const nb = Buffer.from(needle);
      for (let i = block.nextContaining(nb); i >= 0; i = block.nextContaining(nb, i + 1)) out.push(i);
      return out;
    };
    expect(hits("foo")).toEqual([0, 2, 6]);
    expect(hits("oo")).toEqual([0, 2, 6]);
    expect(hits("fooba")).toEqual([]); // "fo" + "obaz" are two lines
    expect(hits("")).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(block.nextContaining(Buffer.from("foo"), 1, 2)).toBe(-1);
  });

  it("nextContaining agrees with a per-line includes() on random lines", () => {
    const ab = fc.string({ unit: fc.constantFrom("a", "b", "é"), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(ab, { minLength: 1, maxLength: 40 }), ab, fc.nat(40), (lines, needle, start) => {
        const b = new ChunkBuilder({ codec: "none" });
        lines.forEach((l, i) => {
          b.append(i, l);
        });
        const block = new ChunkReader(b.finish()).block(0);
        const nb = Buffer.from(needle);
        const got: number[] = [];
        for (let i = block.nextContaining(nb, start); i >= 0; i = block.nextContaining(nb, i + 1))
          got.push(i);
        const want = lines.flatMap((l, i) => (i >= start && l.includes(needle) ? [i] : []));
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with a per-line includes() on the realistic corpus", () => {
    const [stream] = logCorpus({ seed: 7, lines: 3000 });
    const b = new ChunkBuilder();
    stream!.lines.forEach((l, i) => {
      b.append(stream!.ts[i]!, l);
    });
    const r = new ChunkReader(b.finish());
    for (const needle of ['status":500', "c0", "Safari", '/api/v1/cart"']) {
      const nb = Buffer.from(needle);
      let got = 0;
      for (const blk of r.decodedBlocks(ALL[0], ALL[1])) {
        for (let i = blk.nextContaining(nb); i >= 0; i = blk.nextContaining(nb, i + 1)) got++;
      }
      expect(got, needle).toBe(stream!.lines.filter((l) => l.includes(needle)).length);
    }
  });
});

describe("entriesContaining (the |= fast path)", () => {
  const lineArb = fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " "), maxLength: 40 });
  const smallStreamArb = fc
    .tuple(
      fc.bigInt(-(2n ** 40n), 2n ** 40n),
      fc.array(fc.tuple(fc.bigInt(0n, 50n), lineArb), { maxLength: 200 }),
    )
    .map(([start, es]) => {
      let t = start;
      return es.map(([gap, line]): In => {
        t += gap;
        return { ts: t, line };
      });
    });

  it("gives what entries() filtered by includes() gives, for every codec, range and direction", () => {
    fc.assert(
      fc.property(
        smallStreamArb,
        fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " "), maxLength: 4 }),
        fc.constantFrom(...CODECS),
        fc.constantFrom(1, 64, 4096),
        fc.option(fc.tuple(fc.bigInt(-(2n ** 40n), 2n ** 40n), fc.bigInt(0n, 3000n)), { nil: undefined }),
        (es, needle, codec, blockBytes, range) => {
          const [from, to] = range ? [range[0], range[0] + range[1]] : ALL;
          const r = new ChunkReader(build(es, codec, blockBytes));
          const want = plain(r.entries(from, to)).filter((e) => e.line.includes(needle));
          expect(plain(r.entriesContaining(needle, from, to))).toEqual(want);
          expect(plain(r.entriesContaining(Buffer.from(needle), from, to, "backward"))).toEqual(
            [...want].reverse(),
          );
          let hits = 0;
          for (const { block, indices } of r.blocksContaining(needle, from, to)) {
            expect(indices.length).toBeGreaterThan(0);
            expect([...indices].sort((x, y) => x - y)).toEqual(indices);
            for (const i of indices) expect(block.lineAt(i)).toContain(needle);
            hits += indices.length;
          }
          expect(hits).toBe(want.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("does not match across line boundaries and keeps metadata", () => {
    const b = new ChunkBuilder({ codec: "deflate" });
    ["foo", "bar", "xfoox", "fo", "obaz", "", "foo"].forEach((l, i) => {
      b.append(i, l, i === 2 ? [["trace_id", "t2"]] : undefined);
    });
    const r = new ChunkReader(b.finish());
    expect(plain(r.entriesContaining("foo", ALL[0], ALL[1]))).toEqual([
      { ts: 0n, line: "foo" },
      { ts: 2n, line: "xfoox", metadata: [["trace_id", "t2"]] },
      { ts: 6n, line: "foo" },
    ]);
    expect([...r.entriesContaining("fooba", ALL[0], ALL[1])]).toEqual([]);
    expect([...r.entriesContaining("trace", ALL[0], ALL[1])]).toEqual([]); // metadata is not searched
    expect(r.block(0).indicesContaining(Buffer.from("o"), 1, 6)).toEqual([2, 3, 4]);
  });

  it("agrees with a per-line includes() on the realistic corpus", () => {
    const [stream] = logCorpus({ seed: 11, lines: 5000 });
    const b = new ChunkBuilder({ blockBytes: 64 * 1024 });
    stream!.lines.forEach((l, i) => {
      b.append(stream!.ts[i]!, l);
    });
    const r = new ChunkReader(b.finish());
    for (const needle of ['status":500', "c0", "Safari", '/api/v1/cart"', "no such needle"]) {
      const want = stream!.lines.filter((l) => l.includes(needle));
      expect(
        [...r.entriesContaining(needle, ALL[0], ALL[1])].map((e) => e.line),
        needle,
      ).toEqual(want);
    }
  });
});

describe("format versions", () => {
  it("writes version 3 and still reads version 1 and 2 chunks", () => {
    const es: In[] = [
      { ts: 1n, line: "GET /a" },
      { ts: 5n, line: "POST /b", metadata: [["k", "v"]] },
    ];
    for (const version of [1, 2, 3] as const) {
      const b = new ChunkBuilder({ version, blockBytes: 1 });
      for (const e of es) b.append(e.ts, e.line, e.metadata);
      const bytes = b.finish();
      expect(bytes[4]).toBe(version);
      const r = new ChunkReader(bytes);
      expect(r.version).toBe(version);
      expect(plain(r.entries(ALL[0], ALL[1]))).toEqual(es);
      expect(plain(r.entriesContaining("/b", ALL[0], ALL[1]))).toEqual([es[1]]);
    }
    expect(new ChunkReader(new ChunkBuilder().finish()).version).toBe(3);
  });

  it("checks each version with its own checksum", () => {
    for (const version of [1, 2] as const) {
      const b = new ChunkBuilder({ version });
      b.append(1n, "line");
      const bytes = b.finish();
      const other: LogChunkVersion = version === 1 ? 2 : 1;
      const dv = new DataView(bytes.buffer);
      // Sealed with the other version's checksum: refused.
      dv.setUint32(36, logChunkChecksum(other, bytes, 0, 36));
      expect(readAll(bytes)).toBe("chunk_header");
      dv.setUint32(36, logChunkChecksum(version, bytes, 0, 36));
      expect(readAll(bytes)).toBe("ok");
      // A flipped byte inside the block: caught by the block checksum, also on the |= path.
      bytes[40]! ^= 0x01;
      const r = new ChunkReader(bytes);
      expect(() => [...r.entriesContaining("zz", ALL[0], ALL[1])]).toThrow(
        expect.objectContaining({ code: "block_checksum" }),
      );
    }
  });

  it("refuses an unknown version", () => {
    const bytes = new ChunkBuilder().finish();
    bytes[4] = 4;
    reseal(bytes);
    expect(readAll(bytes)).toBe("chunk_header");
  });
});

describe("corrupt chunks", () => {
  const sample = (codec: LogCodecName): Uint8Array => {
    const [s] = logCorpus({ seed: 3, lines: 200 });
    const b = new ChunkBuilder({ codec, blockBytes: 2000 });
    s!.lines.forEach((l, i) => {
      b.append(s!.ts[i]!, l, i % 3 === 0 ? [["trace_id", `t${i}`]] : undefined);
    });
    return b.finish();
  };

  it("a flipped byte or a truncation gives a typed error, never another exception", () => {
    for (const codec of CODECS) {
      const good = sample(codec);
      expect(readAll(good)).toBe("ok");
      fc.assert(
        fc.property(
          fc.nat(good.length - 1),
          fc.integer({ min: 1, max: 255 }),
          fc.boolean(),
          (at, x, truncate) => {
            const bad = truncate ? good.slice(0, at) : good.slice();
            if (!truncate) bad[at]! ^= x;
            expect(readAll(bad)).not.toBe("ok");
          },
        ),
        { numRuns: 200 },
      );
    }
  });

  it("a raw length in the index that disagrees with the block is block_corrupt, for every codec", () => {
    for (const codec of CODECS) {
      for (const delta of [-1, 1, 1 << 20]) {
        const bad = sample(codec);
        const dv = new DataView(bad.buffer);
        const p = dv.getUint32(32) + 8; // raw length of block 0
        dv.setUint32(p, dv.getUint32(p) + delta);
        reseal(bad);
        expect(readAll(bad), `${codec} ${delta}`).toBe("block_corrupt");
      }
    }
  });

  it("garbage behind valid checksums gives a typed error or a clean read, never a crash or hang", () => {
    for (const codec of CODECS) {
      const good = sample(codec);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
          (edits) => {
            const bad = good.slice();
            for (const [at, v] of edits) bad[at] = v;
            reseal(bad);
            expect(["ok", "chunk_header", "chunk_index", "block_corrupt", "block_checksum"]).toContain(
              readAll(bad),
            );
          },
        ),
        { numRuns: 200 },
      );
    }
  });
});

describe("format version 3 (sections)", () => {
  const H = 16; // block header bytes
  /** The stored sections of block `i`: [start, end) of the header, timestamps, columns, lines. */
  const sections = (bytes: Uint8Array, r: ChunkReader, i: number): Record<string, [number, number]> => {
    const m = r.blocks[i]!;
    const dv = new DataView(bytes.buffer, bytes.byteOffset + m.offset);
    const ts = m.offset + H;
    const cols = ts + dv.getUint32(4);
    const lines = cols + dv.getUint32(8);
    return {
      header: [m.offset, ts],
      timestamps: [ts, cols],
      columns: [cols, lines],
      lines: [lines, m.offset + m.length],
    };
  };
  const corpus = (version: LogChunkVersion, codec: LogCodecName = "deflate"): Uint8Array => {
    const [s] = logCorpus({ seed: 5, lines: 3000 });
    const b = new ChunkBuilder({ version, codec, blockBytes: 64 * 1024 });
    s!.lines.forEach((l, i) => {
      b.append(s!.ts[i]!, l, i % 7 === 0 ? [["trace_id", `c0ffee${i}`]] : undefined);
    });
    return b.finish();
  };

  it("reads what version 2 reads: ranges, directions, metadata and |=, for every codec", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.constantFrom(...CODECS),
        fc.constantFrom(1, 100, 4096),
        fc.bigInt(-(2n ** 62n), 2n ** 62n),
        fc.bigInt(0n, 2n ** 62n),
        (es, codec, blockBytes, from, width) => {
          const chunk = (version: LogChunkVersion): ChunkReader => {
            const b = new ChunkBuilder({ version, codec, blockBytes });
            for (const e of es) b.append(e.ts, e.line, e.metadata);
            return new ChunkReader(b.finish());
          };
          const v2 = chunk(2);
          const v3 = chunk(3);
          expect(v3.version).toBe(3);
          expect(v3.blocks.map((m) => [m.count, m.minTs, m.maxTs])).toEqual(
            v2.blocks.map((m) => [m.count, m.minTs, m.maxTs]),
          );
          const to = from + width;
          for (const dir of ["forward", "backward"] as const) {
            expect(plain(v3.entries(from, to, dir))).toEqual(plain(v2.entries(from, to, dir)));
            expect(plain(v3.entries(ALL[0], ALL[1], dir))).toEqual(
              dir === "forward" ? es : [...es].reverse(),
            );
          }
          for (const needle of ["", "a", "e", "zz"]) {
            expect(plain(v3.entriesContaining(needle, from, to))).toEqual(
              plain(v2.entriesContaining(needle, from, to)),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("is smaller than version 2 on the realistic corpus, and reads the same", () => {
    const v2 = corpus(2);
    const v3 = corpus(3);
    expect(v3.length).toBeLessThan(v2.length);
    const r2 = new ChunkReader(v2);
    const r3 = new ChunkReader(v3);
    expect(plain(r3.entries(ALL[0], ALL[1], "backward"))).toEqual(
      plain(r2.entries(ALL[0], ALL[1], "backward")),
    );
    expect(plain(r3.entriesContaining("error", ALL[0], ALL[1]))).toEqual(
      plain(r2.entriesContaining("error", ALL[0], ALL[1])),
    );
    // The small sections are deflated here (flags byte of the block header).
    expect(v3[r3.blocks[0]!.offset + 1]).toBe(3);
  });

  it("catches a flipped byte in each section with the block checksum, also on the |= path", () => {
    const good = corpus(3);
    const r = new ChunkReader(good);
    for (const [name, [start, end]] of Object.entries(sections(good, r, 1))) {
      expect(end, name).toBeGreaterThan(start);
      for (const at of [start, (start + end) >>> 1, end - 1]) {
        const bad = good.slice();
        bad[at]! ^= 0x10;
        const rb = new ChunkReader(bad);
        expect(() => [...rb.entries(ALL[0], ALL[1])], name).toThrow(
          expect.objectContaining({ code: "block_checksum" }),
        );
        expect(() => [...rb.entriesContaining("zz-none", ALL[0], ALL[1])], name).toThrow(
          expect.objectContaining({ code: "block_checksum" }),
        );
      }
    }
  });

  it("checks the timestamp and columns sections of a resealed block, decoding them only for a hit", () => {
    const b = new ChunkBuilder({ codec: "none" });
    b.append(1000n, "GET /a");
    b.append(2500n, "POST /b", [["k", "v"]]);
    const good = b.finish();
    const r = new ChunkReader(good);
    const s = sections(good, r, 0);
    for (const name of ["timestamps", "columns"]) {
      const bad = good.slice();
      bad[s[name]![0]]! ^= 0x01;
      reseal(bad);
      const rb = new ChunkReader(bad);
      expect(() => [...rb.entries(ALL[0], ALL[1])], name).toThrow(
        expect.objectContaining({ code: "block_corrupt" }),
      );
      // No hit in the lines: the other sections are never decoded.
      expect([...rb.entriesContaining("DELETE", ALL[0], ALL[1])], name).toEqual([]);
      expect(() => [...rb.entriesContaining("POST", ALL[0], ALL[1])], name).toThrow(
        expect.objectContaining({ code: "block_corrupt" }),
      );
    }
    // Metadata does not match a |= needle.
    expect([...r.entriesContaining("k", ALL[0], ALL[1])]).toEqual([]);
  });

  it("refuses a block header whose sections do not fit", () => {
    const cases: [string, (dv: DataView) => void][] = [
      ["width over 7", (dv) => dv.setUint8(0, 8)],
      ["unknown flag", (dv) => dv.setUint8(1, 4)],
      ["reserved bytes", (dv) => dv.setUint16(2, 1)],
      ["timestamps past the block", (dv) => dv.setUint32(4, 1 << 20)],
      ["columns raw length over the raw length", (dv) => dv.setUint32(12, 1 << 20)],
    ];
    for (const [name, edit] of cases) {
      const bytes = corpus(3);
      const r = new ChunkReader(bytes);
      edit(new DataView(bytes.buffer, bytes.byteOffset + r.blocks[0]!.offset));
      reseal(bytes);
      expect(readAll(bytes), name).toBe("block_corrupt");
    }
  });
});
