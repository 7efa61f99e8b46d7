import { createRequire } from "node:module";
import * as zlib from "node:zlib";
import { BlockPayloadWriter, decodeBlockPayload } from "./block-payload.js";
import {
  ChunkBuilder,
  ChunkReader,
  DEFAULT_LOG_BLOCK_BYTES,
  LOG_CHUNK_VERSION,
  type LogChunkVersion,
  logChunkChecksum,
} from "./chunk.js";
import { SubstringSearch } from "./chunk-search.js";
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
 * [--block-kib 64,…] [--chunk-kib K] [--chunk-level L]`: which codec the log
 * chunks should use (ADR 13). On the corpus of `log-corpus.ts` (five streams, JSON, logfmt, plain
 * text, klog), cut per stream into block payloads of 32 KiB – 1 MiB as `chunk.ts` lays them out, it
 * reports for each codec and level the ratio (corpus file bytes — lines plus newlines — over
 * compressed bytes), compress/decompress throughput in MB of raw log per CPU-second of this
 * process (one thread; the fastest of repeated runs), and the `|=` scan a chunk of that codec would
 * give (checksum, decompress, SIMD search of the payload for a rare needle, decode the columns of a
 * block with a hit: what `ChunkReader.blocksContaining` does). Baseline: `gzip -1` (and `zstd -1`
 * where `node:zlib` has it, Node ≥ 22.15) of the whole corpus as one file, lines in time order.
 *
 * lz4 (`lz4-napi`) and zstd (`@bokuweb/zstd-wasm`, `@toondepauw/node-zstd`) are measured when they
 * can be loaded (they are not dependencies; put them on NODE_PATH to include them), and Node's own
 * zstd where it has one. The codec rows compress whole block payloads as format version 2 lays them
 * out (one stream per block). Then the chunk path with the default codec
 * (or `--chunk-kib`, `--chunk-level`), in format version 3 (`chunk`, the headline) and version 2
 * (`chunk_v2`), timed in alternating rounds: build, decode, and a `|=` scan for a rare and a common needle
 * through `ChunkReader.entriesContaining` (the figures `filter_scan_*`; the headline
 * `filter_scan_mb_per_cpu_second` is the slower of the two) and, for comparison, through
 * `decodedBlocks` and `DecodedLogBlock.nextContaining`. Figures only; nothing asserts.
 */

interface Codec {
  name: string;
  compress(raw: Uint8Array): Uint8Array;
  decompress(data: Uint8Array, rawLength: number): Uint8Array;
}

/** Node's own zstd (Node ≥ 22.15), or undefined. */
function nodeZstd(): ((raw: Uint8Array, level: number) => Uint8Array) | undefined {
  const z = zlib as unknown as {
    zstdCompressSync?: (b: Uint8Array, o: object) => Uint8Array;
    constants: Record<string, number>;
  };
  const key = z.constants.ZSTD_c_compressionLevel;
  if (z.zstdCompressSync === undefined || key === undefined) return undefined;
  const f = z.zstdCompressSync;
  return (raw, level) => f(raw, { params: { [key]: level } });
}

/**
 * The `|=` scan of a chunk whose blocks are `packed` (with `codec`): per block, the checksum,
 * decompression, the SIMD search, and decoding the columns where there is a hit.
 * Returns the lines that hold the needle.
 */
function scanPacked(
  c: Codec,
  packed: readonly Uint8Array[],
  crcs: readonly number[],
  blocks: readonly Block[],
  search: SubstringSearch,
): number {
  let hits = 0;
  for (let i = 0; i < packed.length; i++) {
    if (logChunkChecksum(2, packed[i]!) !== crcs[i]) throw new Error("checksum");
    const raw = c.decompress(packed[i]!, blocks[i]!.raw.length);
    const payload = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    search.load(payload);
    if (search.indexOf(0) < 0) continue;
    const cols = decodeBlockPayload(payload, blocks[i]!.count, blocks[i]!.spanNs);
    const linesAt = cols.lines.byteOffset - payload.byteOffset;
    for (let p = search.indexOf(linesAt); p >= 0; p = search.indexOf(p + 1)) hits++;
  }
  return hits;
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

interface ZstdNapi {
  Encoder: new (level: number) => { encodeSync(b: Buffer): Buffer };
  Decoder: new () => { decodeSync(b: Buffer): Buffer };
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
    log("@bokuweb/zstd-wasm not installed: zstd (wasm) skipped");
  }
  try {
    const z = require("@toondepauw/node-zstd") as ZstdNapi;
    const dec = new z.Decoder();
    for (const level of [1, 3]) {
      const enc = new z.Encoder(level);
      out.push({
        name: `zstd-${level}-napi`,
        compress: (raw) => enc.encodeSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)),
        decompress: (d) => dec.decodeSync(Buffer.from(d.buffer, d.byteOffset, d.byteLength)),
      });
    }
  } catch {
    log("@toondepauw/node-zstd not installed: zstd (napi) skipped");
  }
  const native = nodeZstd();
  const decompress = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array, o: object) => Buffer })
    .zstdDecompressSync;
  if (native !== undefined && decompress !== undefined) {
    for (const level of [1, 3]) {
      out.push({
        name: `zstd-${level}-node`,
        compress: (raw) => native(raw, level),
        decompress: (d, n) => decompress(d, { chunkSize: Math.max(64, n), maxOutputLength: Math.max(64, n) }),
      });
    }
  }
  return zstd ? { codecs: out, zstd } : { codecs: out };
}

/** One block payload, with what the block index would say of it. */
interface Block {
  raw: Buffer;
  count: number;
  spanNs: number;
}

/** Block payloads of every stream, cut at `blockBytes` of lines, as the chunk builder cuts them. */
function payloads(streams: CorpusStream[], blockBytes: number): Block[] {
  const out: Block[] = [];
  for (const s of streams) {
    const w = new BlockPayloadWriter();
    let first = 0n;
    let last = 0n;
    const cut = (): void => {
      const count = w.count;
      out.push({ raw: w.finish(), count, spanNs: Number(last - first) });
    };
    s.lines.forEach((line, i) => {
      const ts = s.ts[i]!;
      if (w.count === 0) first = ts;
      last = ts;
      w.append(Number(ts - first), line, undefined);
      if (w.contentBytes >= blockBytes) cut();
    });
    if (w.count > 0) cut();
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
  const chunkKiB = arg(args, "--chunk-kib", DEFAULT_LOG_BLOCK_BYTES / 1024);
  const chunkLevel = arg(args, "--chunk-level", DEFAULT_LOG_CODEC_LEVEL[DEFAULT_LOG_CODEC]);
  const chunkOpts = { codec: DEFAULT_LOG_CODEC, level: chunkLevel, blockBytes: chunkKiB * 1024 };

  const file = corpusFile(streams);
  const rawMB = file.length / 1e6;
  const gzip1 = zlib.deflateRawSync(file, { level: 1 }).length + 18; // + gzip's header and trailer
  const { codecs: optional, zstd } = await optionalCodecs(log);
  const baseline: Record<string, number> = {
    gzip1_ratio: round(file.length / gzip1),
    gzip1_bytes_per_line: round(gzip1 / lines),
  };
  const zstd1 = nodeZstd()?.(file, 1).length ?? zstd?.compress(file, 1).length;
  if (zstd1 !== undefined) {
    baseline.zstd1_ratio = round(file.length / zstd1);
    baseline.zstd1_bytes_per_line = round(zstd1 / lines);
  }
  log(
    `corpus: ${lines} lines, ${file.length} bytes, ${round(file.length / lines, 1)} bytes/line; ${JSON.stringify(baseline)}`,
  );

  // The chunk path with the defaults, one chunk per stream, in the format version written today and
  // in the previous one; first, while the heap is small. The timings of the two versions are taken
  // in alternating rounds: measured one after the other, the second ran up to 20 % slower here,
  // whichever version it was.
  const all: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
  const chunkPath = (version: LogChunkVersion) => {
    let chunks: Uint8Array[] = [];
    const buildT = timed(minCpu, () => {
      chunks = streams.map((s) => {
        const b = new ChunkBuilder({ ...chunkOpts, version });
        for (let i = 0; i < s.lines.length; i++) b.append(s.ts[i]!, s.lines[i]!);
        return b.finish();
      });
    });
    const chunkBytes = chunks.reduce((a, b) => a + b.length, 0);
    const readers = chunks.map((c) => new ChunkReader(c));
    const count = (f: () => number): { run: () => void; hits: number } => ({
      run: () => void f(),
      hits: f(),
    });
    const scan = (needle: string) => {
      const nb = Buffer.from(needle);
      return count(() => {
        let hits = 0;
        for (const r of readers) {
          for (const b of r.decodedBlocks(all[0], all[1])) {
            for (let i = b.nextContaining(nb); i >= 0; i = b.nextContaining(nb, i + 1)) hits++;
          }
        }
        return hits;
      });
    };
    // The fast path the engine uses for `|=`: ChunkReader.entriesContaining (SIMD search of each
    // block's lines before decoding its columns; matching entries as strings with their timestamps).
    const fastScan = (needle: string) =>
      count(() => {
        let hits = 0;
        for (const r of readers) for (const _ of r.entriesContaining(needle, all[0], all[1])) hits++;
        return hits;
      });
    const rare = scan("c0ffee42");
    const common = scan("error");
    const fastRare = fastScan("c0ffee42");
    const fastCommon = fastScan("error");
    if (fastCommon.hits !== common.hits || fastRare.hits !== rare.hits) {
      throw new Error(`entriesContaining found ${fastCommon.hits} lines, nextContaining ${common.hits}`);
    }
    // Search alone, over blocks already decompressed.
    const decoded = readers.flatMap((r) => [...r.decodedBlocks(all[0], all[1])]);
    const nb = Buffer.from("c0ffee42");
    const tasks: Record<string, () => void> = {
      decode: () => {
        for (const r of readers) for (const _ of r.decodedBlocks(all[0], all[1])) void _;
      },
      filter_scan_rare: fastRare.run,
      filter_scan_common: fastCommon.run,
      next_containing_scan_rare: rare.run,
      next_containing_scan_common: common.run,
      search_only: () => {
        for (const b of decoded) for (let i = b.nextContaining(nb); i >= 0; i = b.nextContaining(nb, i + 1));
      },
      entries: () => {
        for (const r of readers) for (const _ of r.entries(all[0], all[1])) void _;
      },
    };
    return { version, chunkBytes, buildT, commonHits: common.hits, tasks };
  };
  const paths = [chunkPath(2), chunkPath(LOG_CHUNK_VERSION)];
  const best = paths.map(() => new Map<string, number>());
  const rounds = 3;
  for (let round = 0; round < rounds; round++) {
    paths.forEach((p, k) => {
      for (const [name, f] of Object.entries(p.tasks)) {
        best[k]!.set(
          name,
          Math.min(best[k]!.get(name) ?? Number.POSITIVE_INFINITY, timed(minCpu / rounds, f)),
        );
      }
    });
  }
  const chunkRows = paths.map((p, k) => {
    const mbs = (name: string): number => Math.round(rawMB / best[k]!.get(name)!);
    return {
      version: p.version,
      codec: `${DEFAULT_LOG_CODEC}-${chunkLevel}`,
      block_kib: chunkKiB,
      bytes_per_line: round(p.chunkBytes / lines),
      ratio: round(file.length / p.chunkBytes),
      size_vs_gzip1: round(p.chunkBytes / gzip1, 3),
      build_mb_per_cpu_s: Math.round(rawMB / p.buildT),
      decode_mb_per_cpu_s: mbs("decode"),
      filter_scan_rare_mb_per_cpu_s: mbs("filter_scan_rare"),
      filter_scan_common_mb_per_cpu_s: mbs("filter_scan_common"),
      filter_common_hits: p.commonHits,
      next_containing_scan_rare_mb_per_cpu_s: mbs("next_containing_scan_rare"),
      next_containing_scan_common_mb_per_cpu_s: mbs("next_containing_scan_common"),
      search_only_mb_per_cpu_s: mbs("search_only"),
      entries_mb_per_cpu_s: mbs("entries"),
    };
  });
  // Drop the chunks and decoded blocks: the codec rows below run with the heap the chunk path had.
  paths.length = 0;
  const chunkV2 = chunkRows[0]!;
  const chunk = chunkRows[1]!;
  log(JSON.stringify(chunkV2));
  log(JSON.stringify(chunk));

  const only = argList(args, "--codecs");
  const codecs = [...builtinCodecs(), ...optional].filter((c) => only === undefined || only.includes(c.name));
  const rows: object[] = [];
  for (const blockKiB of (argList(args, "--block-kib") ?? ["32", "64", "256", "1024"]).map(Number)) {
    const blocks = payloads(streams, blockKiB * 1024);
    for (const c of codecs) {
      let packed: Uint8Array[] = [];
      const ct = timed(minCpu, () => {
        packed = blocks.map((b) => c.compress(b.raw));
      });
      const size = packed.reduce((a, b) => a + b.length, 0);
      const crcs = packed.map((b) => logChunkChecksum(2, b));
      const search = new SubstringSearch(Buffer.from("c0ffee42"));
      const st = timed(minCpu, () => scanPacked(c, packed, crcs, blocks, search));
      const dt = timed(minCpu, () => {
        for (let i = 0; i < packed.length; i++) c.decompress(packed[i]!, blocks[i]!.raw.length);
      });
      const row = {
        codec: c.name,
        block_kib: blockKiB,
        ratio: round(file.length / size),
        bytes_per_line: round(size / lines),
        size_vs_gzip1: round(size / gzip1, 3),
        compress_mb_per_cpu_s: Math.round(rawMB / ct),
        decompress_mb_per_cpu_s: Math.round(rawMB / dt),
        scan_mb_per_cpu_s: Math.round(rawMB / st),
      };
      log(JSON.stringify(row));
      rows.push(row);
    }
  }

  return {
    corpus: { lines, raw_bytes: file.length, bytes_per_line: round(file.length / lines, 1) },
    baseline,
    codecs: rows,
    chunk,
    chunk_v2: chunkV2,
    filter_scan_mb_per_cpu_second: Math.min(
      chunk.filter_scan_rare_mb_per_cpu_s,
      chunk.filter_scan_common_mb_per_cpu_s,
    ),
  };
}
