import { closeSync, openSync, readSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { syncDir } from "../../lib/fs/atomic-file.js";
import type { Matcher } from "../../model/matcher.js";
import { ChunkReader, type LogDirection, type LogEntry } from "./chunk.js";
import { streamKey } from "./log-head.js";
import type { StreamLabels } from "./querier.js";
import { StreamIndex } from "./stream-index.js";
import { type ChunkRef, chunkEntries, type StreamSource } from "./stream-source.js";
import { TrigramFilter } from "./trigram-filter.js";

/**
 * Immutable log blocks on disk (`docs/format/log-block.md`): {@link writeLogBlock} writes one from a
 * head's flush snapshot, {@link LogBlock} reads one. A block's index is held in memory; its chunks
 * are read from the `chunks` file when a query first pulls from them.
 */

/** The version this code writes and reads. */
export const LOG_BLOCK_VERSION = 1;

/** The index file of blocks written now: `index.json`, gzip'd. */
export const INDEX_FILE = "index.json.gz";

/**
 * The index text of the block in `dir`: `index.json.gz`, or a plain `index.json` as the first blocks
 * were written; with its path and its bytes on disk.
 */
async function readIndexText(dir: string): Promise<{ path: string; text: string; bytes: number }> {
  const gz = join(dir, INDEX_FILE);
  let data: Buffer;
  try {
    data = await readFile(gz);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const plain = join(dir, "index.json");
    const text = await readFile(plain, "utf8");
    return { path: plain, text, bytes: Buffer.byteLength(text) };
  }
  try {
    return { path: gz, text: gunzipSync(data).toString("utf8"), bytes: data.length };
  } catch (err) {
    throw new LogBlockError(gz, `not gzip (${(err as Error).message})`);
  }
}

/** A block directory name: 8 decimal digits. */
const BLOCK_NAME = /^\d{8}$/;

/** The directory name of block `seq`. */
export function blockName(seq: number): string {
  return String(seq).padStart(8, "0");
}

/** One chunk to write: its encoded bytes and what the index records of it. */
export interface BlockChunkInput {
  readonly bytes: Uint8Array;
  readonly minTs: bigint;
  readonly maxTs: bigint;
  readonly entryCount: number;
  readonly lineBytes: number;
  /** The chunk's trigram filter bytes, if it has one. */
  readonly filter?: Uint8Array | undefined;
}

/** One stream to write. */
export interface BlockStreamInput {
  readonly labels: StreamLabels;
  readonly chunks: readonly BlockChunkInput[];
}

interface ChunkMeta {
  offset: number;
  length: number;
  min_time_ns: string;
  max_time_ns: string;
  entries: number;
  line_bytes: number;
  /** Where the chunk's trigram filter is in `filters`, and its length; absent without one. */
  filter_offset?: number;
  filter_bytes?: number;
}

interface IndexFile {
  version: number;
  min_time_ns: string;
  max_time_ns: string;
  wal_segments_below: number;
  chunks_bytes: number;
  /** Length of `filters` (0 or absent: no file). */
  filters_bytes?: number;
  created: string;
  streams: { labels: [string, string][]; chunks: ChunkMeta[] }[];
}

/** A block that cannot be read: the file and what is wrong. */
export class LogBlockError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`log block ${file}: ${message}`);
    this.name = "LogBlockError";
  }
}

/**
 * Writes block `seq` under `blocksDir` from `streams` (streams without chunks are left out) and
 * returns its directory: written in `.tmp-<name>`, synced, renamed into place, `blocksDir` synced.
 * `walSegmentsBelow` is recorded for replay (see the format page). Throws if there is nothing to write.
 */
export async function writeLogBlock(
  blocksDir: string,
  seq: number,
  streams: readonly BlockStreamInput[],
  walSegmentsBelow: number,
): Promise<string> {
  const name = blockName(seq);
  const tmp = join(blocksDir, `.tmp-${name}`);
  const final = join(blocksDir, name);
  await mkdir(blocksDir, { recursive: true });
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  let minTs: bigint | undefined;
  let maxTs: bigint | undefined;
  let offset = 0;
  let filterOffset = 0;
  const filters: Uint8Array[] = [];
  const index: IndexFile["streams"] = [];
  const fh = await open(join(tmp, "chunks"), "w");
  try {
    for (const s of streams) {
      if (s.chunks.length === 0) continue;
      const metas: ChunkMeta[] = [];
      for (const c of s.chunks) {
        await fh.write(c.bytes);
        const meta: ChunkMeta = {
          offset,
          length: c.bytes.length,
          min_time_ns: String(c.minTs),
          max_time_ns: String(c.maxTs),
          entries: c.entryCount,
          line_bytes: c.lineBytes,
        };
        if (c.filter !== undefined) {
          meta.filter_offset = filterOffset;
          meta.filter_bytes = c.filter.length;
          filters.push(c.filter);
          filterOffset += c.filter.length;
        }
        metas.push(meta);
        offset += c.bytes.length;
        if (minTs === undefined || c.minTs < minTs) minTs = c.minTs;
        if (maxTs === undefined || c.maxTs > maxTs) maxTs = c.maxTs;
      }
      index.push({ labels: s.labels.map(([n, v]) => [n, v]), chunks: metas });
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (minTs === undefined || maxTs === undefined) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error("writeLogBlock: no chunks to write");
  }
  if (filterOffset > 0) {
    const f = await open(join(tmp, "filters"), "w");
    try {
      await f.writeFile(Buffer.concat(filters));
      await f.sync();
    } finally {
      await f.close();
    }
  }
  const file: IndexFile = {
    version: LOG_BLOCK_VERSION,
    min_time_ns: String(minTs),
    max_time_ns: String(maxTs),
    wal_segments_below: walSegmentsBelow,
    chunks_bytes: offset,
    filters_bytes: filterOffset,
    created: new Date().toISOString(),
    streams: index,
  };
  const ih = await open(join(tmp, INDEX_FILE), "w");
  try {
    await ih.writeFile(gzipSync(JSON.stringify(file), { level: 9 }));
    await ih.sync();
  } finally {
    await ih.close();
  }
  await syncDir(tmp);
  await rename(tmp, final);
  await syncDir(blocksDir);
  return final;
}

/**
 * Lists the blocks under `blocksDir` by number, ascending, after removing what a crash left behind
 * (`.tmp-` and `.del-` directories).
 */
export async function listLogBlocks(blocksDir: string): Promise<{ seq: number; dir: string }[]> {
  let entries: string[];
  try {
    entries = await readdir(blocksDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: { seq: number; dir: string }[] = [];
  for (const e of entries) {
    if (e.startsWith(".tmp-") || e.startsWith(".del-")) {
      await rm(join(blocksDir, e), { recursive: true, force: true });
    } else if (BLOCK_NAME.test(e)) {
      out.push({ seq: Number(e), dir: join(blocksDir, e) });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** A chunk of a block on disk: read (synchronously, from the open file) the first time it is pulled. */
class BlockChunk implements ChunkRef {
  constructor(
    private readonly block: LogBlock,
    private readonly offset: number,
    private readonly length: number,
    readonly minTs: bigint,
    readonly maxTs: bigint,
    readonly entryCount: number,
    readonly lineBytes: number,
    readonly filter: TrigramFilter | undefined,
  ) {}

  *entries(
    from: bigint,
    to: bigint,
    direction: LogDirection,
    contains?: readonly string[],
  ): Generator<LogEntry> {
    const reader = new ChunkReader(this.block.read(this.offset, this.length));
    yield* chunkEntries(reader, from, to, direction, contains);
  }
}

/** One stream of a block. */
interface BlockStream extends StreamSource {
  readonly chunks: readonly BlockChunk[];
}

const NO_ENTRIES: readonly LogEntry[] = [];

/**
 * A block opened for reading: its index in memory, its `chunks` file open. Readers hold a reference
 * ({@link acquire}/{@link release}) while they may pull chunks, so that {@link delete} closes the
 * file only once the last of them is done.
 */
export class LogBlock {
  readonly seq: number;
  readonly minTs: bigint;
  readonly maxTs: bigint;
  readonly walSegmentsBelow: number;
  /** Bytes of the block on disk (all its files). */
  readonly diskBytes: number;
  readonly #streams: BlockStream[];
  readonly #index = new StreamIndex();
  #fd: number | undefined;
  #refs = 0;
  #deleted = false;

  private constructor(
    readonly dir: string,
    file: IndexFile,
    indexBytes: number,
    filters: Buffer | undefined,
  ) {
    this.seq = Number(dir.slice(-8));
    this.minTs = BigInt(file.min_time_ns);
    this.maxTs = BigInt(file.max_time_ns);
    this.walSegmentsBelow = file.wal_segments_below;
    this.diskBytes = file.chunks_bytes + indexBytes + (file.filters_bytes ?? 0);
    this.#streams = file.streams.map((s) => {
      const labels = s.labels.map(([n, v]) => [n, v] as const);
      return {
        key: streamKey(labels),
        labels,
        open: NO_ENTRIES,
        chunks: s.chunks.map(
          (c) =>
            new BlockChunk(
              this,
              c.offset,
              c.length,
              BigInt(c.min_time_ns),
              BigInt(c.max_time_ns),
              c.entries,
              c.line_bytes,
              filters === undefined || c.filter_offset === undefined || c.filter_bytes === undefined
                ? undefined
                : new TrigramFilter(filters.subarray(c.filter_offset, c.filter_offset + c.filter_bytes)),
            ),
        ),
      };
    });
    for (let i = 0; i < this.#streams.length; i++) this.#index.add(i, this.#streams[i]!.labels);
  }

  /** Opens the block in `dir`; a malformed index throws {@link LogBlockError}. */
  static async open(dir: string): Promise<LogBlock> {
    const { path: indexPath, text, bytes: indexBytes } = await readIndexText(dir);
    let file: IndexFile;
    try {
      file = JSON.parse(text) as IndexFile;
    } catch (err) {
      throw new LogBlockError(indexPath, `not JSON (${(err as Error).message})`);
    }
    checkIndex(indexPath, file);
    const chunksPath = join(dir, "chunks");
    const size = (await stat(chunksPath)).size;
    if (size !== file.chunks_bytes) {
      throw new LogBlockError(chunksPath, `${size} bytes, the index says ${file.chunks_bytes}`);
    }
    let filters: Buffer | undefined;
    if ((file.filters_bytes ?? 0) > 0) {
      const path = join(dir, "filters");
      filters = await readFile(path);
      if (filters.length !== file.filters_bytes)
        throw new LogBlockError(path, `${filters.length} bytes, the index says ${file.filters_bytes}`);
    }
    const block = new LogBlock(dir, file, indexBytes, filters);
    block.#fd = openSync(chunksPath, "r");
    return block;
  }

  /** The streams the matchers select (every stream for none), in index order. */
  streams(matchers: readonly Matcher[]): readonly StreamSource[] {
    if (matchers.length === 0) return this.#streams;
    return this.#index.select(matchers).map((i) => this.#streams[i]!);
  }

  /** Whether any entry of the block may lie in `[from, to)`. */
  overlaps(from: bigint, to: bigint): boolean {
    return this.maxTs >= from && this.minTs < to;
  }

  /** Takes a reference: the file stays open until the matching {@link release}. */
  acquire(): void {
    this.#refs++;
  }

  release(): void {
    this.#refs--;
    this.#closeIfUnused();
  }

  /** Reads `length` bytes at `offset` of `chunks`. */
  read(offset: number, length: number): Uint8Array {
    if (this.#fd === undefined) throw new Error(`log block ${this.dir} is closed`);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.#fd, buf, got, length - got, offset + got);
      if (n === 0) throw new LogBlockError(join(this.dir, "chunks"), `short read at ${offset + got}`);
      got += n;
    }
    return buf;
  }

  /**
   * Deletes the block: renamed to `.del-<name>` (so a crash never leaves half a block that looks
   * whole), the parent synced, then removed. Readers holding a reference finish on the open file.
   */
  async delete(): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    const parent = join(this.dir, "..");
    const doomed = join(parent, `.del-${blockName(this.seq)}`);
    await rename(this.dir, doomed);
    await syncDir(parent);
    await rm(doomed, { recursive: true, force: true });
    this.#closeIfUnused();
  }

  /** Closes the file (once no reader holds it). */
  close(): void {
    this.#deleted = true;
    this.#closeIfUnused();
  }

  #closeIfUnused(): void {
    if (this.#deleted && this.#refs === 0 && this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}

/** Checks the shape of an index file; throws {@link LogBlockError}. */
function checkIndex(path: string, f: IndexFile): void {
  const bad = (msg: string): never => {
    throw new LogBlockError(path, msg);
  };
  if (typeof f !== "object" || f === null) bad("not an object");
  if (f.version !== LOG_BLOCK_VERSION) bad(`unknown version ${String(f.version)}`);
  const min = int64(path, f.min_time_ns);
  const max = int64(path, f.max_time_ns);
  if (min > max) bad("min_time_ns after max_time_ns");
  if (!Number.isSafeInteger(f.wal_segments_below) || f.wal_segments_below < 0) bad("bad wal_segments_below");
  if (!Number.isSafeInteger(f.chunks_bytes) || f.chunks_bytes < 0) bad("bad chunks_bytes");
  const filtersBytes = f.filters_bytes ?? 0;
  if (!Number.isSafeInteger(filtersBytes) || filtersBytes < 0) bad("bad filters_bytes");
  if (!Array.isArray(f.streams)) bad("streams is not an array");
  for (const s of f.streams) {
    if (!Array.isArray(s.labels) || s.labels.length === 0 || !Array.isArray(s.chunks)) bad("bad stream");
    for (let i = 0; i < s.labels.length; i++) {
      const l = s.labels[i]!;
      if (!Array.isArray(l) || typeof l[0] !== "string" || typeof l[1] !== "string" || l[1] === "")
        bad("bad label pair");
      if (i > 0 && !(s.labels[i - 1]![0] < l[0])) bad("labels not sorted or repeated");
    }
    for (const c of s.chunks) {
      const ok =
        Number.isSafeInteger(c.offset) &&
        Number.isSafeInteger(c.length) &&
        c.offset >= 0 &&
        c.length > 0 &&
        c.offset + c.length <= f.chunks_bytes &&
        Number.isSafeInteger(c.entries) &&
        Number.isSafeInteger(c.line_bytes);
      if (!ok) bad(`chunk reference at ${String(c.offset)} is out of the chunks file`);
      if (c.filter_offset !== undefined || c.filter_bytes !== undefined) {
        const fo = c.filter_offset;
        const fb = c.filter_bytes;
        const fine =
          Number.isSafeInteger(fo) &&
          Number.isSafeInteger(fb) &&
          fo! >= 0 &&
          fb! >= 1 &&
          (fb! & (fb! - 1)) === 0 &&
          fo! + fb! <= filtersBytes;
        if (!fine) bad(`chunk at ${c.offset}: its filter reference is out of the filters file`);
      }
      const cmin = int64(path, c.min_time_ns);
      const cmax = int64(path, c.max_time_ns);
      if (cmin > cmax || cmin < min || cmax > max)
        bad(`chunk at ${c.offset} has a time range out of the block's`);
    }
  }
}

function int64(path: string, v: unknown): bigint {
  if (typeof v !== "string" || !/^-?\d{1,19}$/.test(v))
    throw new LogBlockError(path, `bad timestamp ${String(v)}`);
  return BigInt(v);
}
