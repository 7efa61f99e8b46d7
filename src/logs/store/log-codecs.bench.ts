import { createRequire } from "node:module";
import { deflateRawSync } from "node:zlib";
import { BlockPayloadWriter } from "./block-payload.js";
import { ChunkBuilder, ChunkReader, DEFAULT_LOG_BLOCK_BYTES } from "./chunk.js";
import {
  compressBlock,
  DEFAULT_LOG_CODEC,
  DEFAULT_LOG_CODEC_LEVEL,
  decompressBlock,
  type LogCodecName,
} from "./codec.js";
import { type CorpusStream, logCorpus } from "./log-corpus.js";

/**
 * `npm run bench -- log-codecs [--lines N] [--seed S] [--min-cpu SECONDS] [--codecs gzip-1,…]
 * [--block-kib 64,…]`: which codec the log
 * chunks should use (ADR 13). On the corpus of `log-corpus.ts` (five streams, JSON, logfmt, plain
 * text, klog), cut per stream into block payloads of 32 KiB – 1 MiB as `chunk.ts` lays them out, it
 * reports for each codec and level the ratio (corpus file bytes — lines plus newlines — over
 * compressed bytes) and compress/decompress throughput in MB of raw log per CPU-second of this
 * process (one thread; the fastest of repeated runs). Baseline: `gzip -1` of the whole corpus as one file, lines in time order.
 *
 * lz4 (`lz4-napi`) and zstd (`@bokuweb/zstd-wasm`) are measured when they can be loaded (they are not
 * dependencies; put them on NODE_PATH to include them). Then the chunk path with the default codec:
 * build, decode, and a `|=` scan (decompress, check, search the block's bytes with
 * `DecodedLogBlock.nextContaining`) for a rare and a common needle. Figures only; nothing asserts.
 */

interface Codec {
  name: string;
  compress(raw: Uint8Array): Uint8Array;
  decompress(data: Uint8Array, rawLength: number): Uint8Array;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}

function argList(args: string[], name: string): string[] | undefined {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]!.split(",") : undefined;
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Runs `f` until at least `min` CPU seconds have passed and returns the CPU seconds of its fastest
 * run: on a shared machine the slow runs measure the neighbours (cache and core contention), the
 * fastest one the code.
 */
function timed(min: number, f: () => void): number {
  const t0 = cpu();
  let best = Number.POSITIVE_INFINITY;
  for (;;) {
    const t1 = cpu();
    f();
    const t2 = cpu();
    best = Math.min(best, t2 - t1);
    if (t2 - t0 >= min) return best;
  }
}

function builtinCodecs(): Codec[] {
  const ours = (codec: LogCodecName, level: number, name: string): Codec => ({
    name,
    compress: (raw) => compressBlock(codec, raw, level),
    decompress: (data, n) => decompressBlock(codec, data, n),
  });
  return [
    ours("snappy", 0, "snappy"),
    ours("deflate", 1, "gzip-1"),
    ours("deflate", 3, "gzip-3"),
    ours("deflate", 4, "gzip-4"),
    ours("deflate", 6, "gzip-6"),
    ours("brotli", 1, "brotli-1"),
    ours("brotli", 2, "brotli-2"),
    ours("brotli", 3, "brotli-3"),
    ours("brotli", 4, "brotli-4"),
  ];
}

interface Lz4 {
  compressSync(b: Buffer): Buffer;
  uncompressSync(b: Uint8Array): Buffer;
}
interface Zstd {
  init(): Promise<void>;
  compress(b: Uint8Array, level: number): Uint8Array;
  decompress(b: Uint8Array): Uint8Array;
}

/** The optional codecs that can be loaded here (CommonJS packages, so NODE_PATH works). */
async function optionalCodecs(log: (s: string) => void): Promise<{ codecs: Codec[]; zstd?: Zstd }> {
  const require = createRequire(import.meta.url);
  const out: Codec[] = [];
  let zstd: Zstd | undefined;
  try {
    const lz4 = require("lz4-napi") as Lz4;
    out.push({
      name: "lz4",
      compress: (raw) => lz4.compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)),
      decompress: (data) => lz4.uncompressSync(data),
    });
  } catch {
    log("lz4-napi not installed: lz4 skipped");
  }
  try {
    zstd = require("@bokuweb/zstd-wasm") as Zstd;
    await zstd.init();
    const z = zstd;
    for (const level of [1, 3]) {
      out.push({
        name: `zstd-${level}`,
        compress: (raw) => z.compress(raw, level),
        decompress: (d) => z.decompress(d),
      });
    }
  } catch {
    zstd = undefined;
    log("@bokuweb/zstd-wasm not installed: zstd skipped");
  }
  return zstd ? { codecs: out, zstd } : { codecs: out };
}

/** Block payloads of every stream, cut at `blockBytes` of lines, as the chunk builder cuts them. */
function payloads(streams: CorpusStream[], blockBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (const s of streams) {
    const w = new BlockPayloadWriter();
    let first = 0n;
    s.lines.forEach((line, i) => {
      const ts = s.ts[i]!;
      if (w.count === 0) first = ts;
      w.append(Number(ts - first), line, undefined);
      if (w.contentBytes >= blockBytes) out.push(w.finish());
    });
    if (w.count > 0) out.push(w.finish());
  }
  return out;
}

/** The raw corpus as one file: the lines of all streams in time order, each ending in a newline. */
function corpusFile(streams: CorpusStream[]): Buffer {
  const order: [bigint, string][] = [];
  for (const s of streams) {
    s.lines.forEach((l, i) => {
      order.push([s.ts[i]!, l]);
    });
  }
  order.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Buffer.from(`${order.map((e) => e[1]).join("\n")}\n`);
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));

export async function run(args: string[]): Promise<object> {
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  const lines = arg(args, "--lines", 100_000);
  const seed = arg(args, "--seed", 1);
  const minCpu = arg(args, "--min-cpu", 0.3);
  const streams = logCorpus({ seed, lines });

  const file = corpusFile(streams);
  const rawMB = file.length / 1e6;
  const gzip1 = deflateRawSync(file, { level: 1 }).length + 18; // + gzip's header and trailer
  const { codecs: optional, zstd } = await optionalCodecs(log);
  const baseline: Record<string, number> = { gzip1_ratio: round(file.length / gzip1) };
  if (zstd) baseline.zstd1_ratio = round(file.length / zstd.compress(file, 1).length);
  log(
    `corpus: ${lines} lines, ${file.length} bytes, ${round(file.length / lines, 1)} bytes/line; ${JSON.stringify(baseline)}`,
  );

  // The chunk path with the defaults, one chunk per stream; first, while the heap is small.
  let chunks: Uint8Array[] = [];
  const buildT = timed(minCpu, () => {
    chunks = streams.map((s) => {
      const b = new ChunkBuilder();
      for (let i = 0; i < s.lines.length; i++) b.append(s.ts[i]!, s.lines[i]!);
      return b.finish();
    });
  });
  const chunkBytes = chunks.reduce((a, b) => a + b.length, 0);
  const readers = chunks.map((c) => new ChunkReader(c));
  const all: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
  const decode = (): void => {
    for (const r of readers) for (const _ of r.decodedBlocks(all[0], all[1])) void _;
  };
  // Once untimed: the garbage of the builds above is collected while this runs.
  timed(minCpu, decode);
  const decodeT = timed(minCpu, decode);
  const scan = (needle: string): { t: number; hits: number } => {
    const nb = Buffer.from(needle);
    let hits = 0;
    const t = timed(minCpu, () => {
      hits = 0;
      for (const r of readers) {
        for (const b of r.decodedBlocks(all[0], all[1])) {
          for (let i = b.nextContaining(nb); i >= 0; i = b.nextContaining(nb, i + 1)) hits++;
        }
      }
    });
    return { t, hits };
  };
  const rare = scan("c0ffee42");
  const common = scan("error");
  // Search alone, over blocks already decompressed.
  const decoded = readers.flatMap((r) => [...r.decodedBlocks(all[0], all[1])]);
  const nb = Buffer.from("c0ffee42");
  const searchT = timed(minCpu, () => {
    for (const b of decoded) for (let i = b.nextContaining(nb); i >= 0; i = b.nextContaining(nb, i + 1));
  });
  const entriesT = timed(minCpu, () => {
    for (const r of readers) for (const _ of r.entries(all[0], all[1])) void _;
  });
  const chunk = {
    codec: `${DEFAULT_LOG_CODEC}-${DEFAULT_LOG_CODEC_LEVEL[DEFAULT_LOG_CODEC]}`,
    block_kib: DEFAULT_LOG_BLOCK_BYTES / 1024,
    bytes_per_line: round(chunkBytes / lines),
    ratio: round(file.length / chunkBytes),
    size_vs_gzip1: round(chunkBytes / gzip1, 3),
    build_mb_per_cpu_s: Math.round(rawMB / buildT),
    decode_mb_per_cpu_s: Math.round(rawMB / decodeT),
    filter_scan_rare_mb_per_cpu_s: Math.round(rawMB / rare.t),
    filter_scan_common_mb_per_cpu_s: Math.round(rawMB / common.t),
    filter_common_hits: common.hits,
    search_only_mb_per_cpu_s: Math.round(rawMB / searchT),
    entries_mb_per_cpu_s: Math.round(rawMB / entriesT),
  };
  log(JSON.stringify(chunk));

  const only = argList(args, "--codecs");
  const codecs = [...builtinCodecs(), ...optional].filter((c) => only === undefined || only.includes(c.name));
  const rows: object[] = [];
  for (const blockKiB of (argList(args, "--block-kib") ?? ["32", "64", "256", "1024"]).map(Number)) {
    const blocks = payloads(streams, blockKiB * 1024);
    for (const c of codecs) {
      let packed: Uint8Array[] = [];
      const ct = timed(minCpu, () => {
        packed = blocks.map((b) => c.compress(b));
      });
      const size = packed.reduce((a, b) => a + b.length, 0);
      const dt = timed(minCpu, () => {
        for (let i = 0; i < packed.length; i++) c.decompress(packed[i]!, blocks[i]!.length);
      });
      const row = {
        codec: c.name,
        block_kib: blockKiB,
        ratio: round(file.length / size),
        compress_mb_per_cpu_s: Math.round(rawMB / ct),
        decompress_mb_per_cpu_s: Math.round(rawMB / dt),
      };
      log(JSON.stringify(row));
      rows.push(row);
    }
  }

  return {
    corpus: { lines, raw_bytes: file.length, bytes_per_line: round(file.length / lines, 1) },
    baseline: { ...baseline, gzip1_bytes_per_line: round(gzip1 / lines) },
    codecs: rows,
    chunk,
  };
}
