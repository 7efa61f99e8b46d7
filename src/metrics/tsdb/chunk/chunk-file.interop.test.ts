import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHUNK_SEGMENT_HEADER_BYTES, ChunkFileReader, chunkRef } from "./chunk-file.js";
import { XorChunkAppender, XorChunkIterator } from "./xor-chunk.js";

/**
 * Chunk files written by Prometheus (Debian's `promtool tsdb create-blocks-from openmetrics`): our
 * reader reads them, our iterator decodes every sample bit for bit, and our appender, given the same
 * samples, produces the same bytes as Prometheus's.
 */
describe("chunk files written by Prometheus", () => {
  let dir: string;
  /** Every input sample as "t bits", sorted. */
  const want: string[] = [];
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  const key = (t: number, v: number) => {
    f64[0] = v;
    return `${t} ${u64[0]!.toString(16)}`;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirador-prom-chunks-"));
    let seed = 42;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const T0 = 1_700_000_000_000;
    const lines: string[] = [];
    const series = (name: string, n: number, t: (i: number) => number, v: (i: number) => number) => {
      lines.push(`# TYPE ${name} gauge`);
      for (let i = 0; i < n; i++) {
        const ms = t(i);
        const text = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;
        const value = v(i);
        const vt = Number.isNaN(value)
          ? "NaN"
          : value === Infinity
            ? "+Inf"
            : value === -Infinity
              ? "-Inf"
              : Object.is(value, -0)
                ? "-0"
                : String(value);
        lines.push(`${name} ${vt} ${text}`);
        // Prometheus reads the timestamp as float seconds × 1000, truncated; NaN is Go's math.NaN().
        const t1 = Math.trunc(Number(text) * 1000);
        want.push(Number.isNaN(value) ? `${t1} 7ff8000000000001` : key(t1, value));
      }
    };
    let c = 0;
    series(
      "counter_total",
      700,
      (i) => T0 + i * 15_000 + (i % 50 === 0 ? 7 : 0),
      () => (c += Math.floor(rnd() * 5000)),
    );
    series(
      "gauge",
      700,
      (i) => T0 + i * 15_000 + Math.floor(rnd() * 3),
      () => Math.round(rnd() * 1e6) / 100,
    );
    series(
      "constant",
      700,
      (i) => T0 + i * 15_000,
      () => 1,
    );
    series(
      "seconds_total",
      300,
      (i) => T0 + i * 15_000 + (i > 100 ? 3_600_000 : 0),
      (i) => i * 0.37,
    );
    const specials = [Number.NaN, Infinity, -Infinity, -0, 0, 5e-324, 1.7976931348623157e308, -1e-300, 1];
    series(
      "specials",
      specials.length,
      (i) => T0 + i * 1000 + i * i,
      (i) => specials[i]!,
    );
    series(
      "random",
      500,
      (i) => T0 + i * 10_000,
      () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40),
    );
    lines.push("# EOF");
    await writeFile(join(dir, "in.om"), `${lines.join("\n")}\n`);
    await promisify(execFile)("promtool", ["tsdb", "create-blocks-from", "openmetrics", "in.om", "out"], {
      cwd: dir,
      timeout: 60_000,
    });
    want.sort();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads, decodes and re-encodes every chunk identically", async () => {
    const got: string[] = [];
    const blocks = await readdir(join(dir, "out"));
    expect(blocks.length).toBeGreaterThan(0);
    let chunks = 0;
    const it = new XorChunkIterator();
    for (const block of blocks) {
      const chunkDir = join(dir, "out", block, "chunks");
      const reader = await ChunkFileReader.open(chunkDir);
      // Walk each segment's frames to find the references (the block index would give them).
      for (const [index, name] of (await readdir(chunkDir)).sort().entries()) {
        const file = await readFile(join(chunkDir, name));
        let off = CHUNK_SEGMENT_HEADER_BYTES;
        while (off < file.length) {
          let len = 0;
          let p = off;
          for (let shift = 0; ; shift += 7) {
            const b = file[p++]!;
            len += (b & 0x7f) * 2 ** shift;
            if (b < 0x80) break;
          }
          const data = reader.chunk(chunkRef(index, off));
          expect(data.length).toBe(len);
          it.reset(data);
          const again = new XorChunkAppender();
          while (it.next()) {
            got.push(key(it.t, it.v));
            again.append(it.t, it.v);
          }
          expect(Buffer.from(again.bytes()).toString("hex")).toBe(Buffer.from(data).toString("hex"));
          chunks++;
          off = p + 1 + len + 4;
        }
      }
      await reader.close();
    }
    expect(chunks).toBeGreaterThan(20);
    got.sort();
    expect(got).toEqual(want);
  });
});
