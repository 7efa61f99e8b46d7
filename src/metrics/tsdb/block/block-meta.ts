import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { BlockError } from "./block-errors.js";
import { isUlid } from "./ulid.js";

/** The file name of a block's metadata. */
export const META_FILE = "meta.json";
/** The only `version` of `meta.json` this code writes and reads. */
export const BLOCK_META_VERSION = 1;

/** A block merged into a compacted block. */
export interface BlockParent {
  readonly ulid: string;
  /** Inclusive start, ms. */
  readonly minTime: number;
  /** Exclusive end, ms. */
  readonly maxTime: number;
}

/** Counts of a block's contents. */
export interface BlockStats {
  /** Samples: the sum of the sample counts in the chunk headers. */
  readonly numSamples: number;
  /** Series in the index, each with at least one chunk. */
  readonly numSeries: number;
  /** Chunks referenced by the index. */
  readonly numChunks: number;
}

/** Where a block's data came from. */
export interface BlockCompaction {
  /** 1 for a block cut from the head; a compacted block: its highest parent's level + 1. */
  readonly level: number;
  /** ULIDs of the level-1 blocks whose data ended up here, sorted. */
  readonly sources: readonly string[];
  /** The blocks merged into this one, in ULID order; empty at level 1. */
  readonly parents: readonly BlockParent[];
}

/** The contents of `meta.json` (docs/format/block.md). The range is `[minTime, maxTime)`. */
export interface BlockMeta {
  readonly ulid: string;
  /** Inclusive start of the block's range, ms. */
  readonly minTime: number;
  /** Exclusive end of the block's range, ms. */
  readonly maxTime: number;
  readonly stats: BlockStats;
  readonly compaction: BlockCompaction;
  readonly version: typeof BLOCK_META_VERSION;
}

/**
 * Parses and checks the text of a `meta.json`; `file` names it in errors. Unknown fields are
 * ignored. Throws {@link BlockError} `block_meta_invalid`.
 */
export function parseBlockMeta(text: string, file: string): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BlockError("block_meta_invalid", file, `not JSON: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new BlockError("block_meta_invalid", file, what);
  };
  const m = obj(raw) ?? bad("not a JSON object");
  if (m.version !== BLOCK_META_VERSION) bad(`unknown version ${JSON.stringify(m.version)}`);
  const ulid = ulidField(m.ulid) ?? bad("ulid is not a ULID");
  const minTime = int(m.minTime) ?? bad("minTime is not an integer");
  const maxTime = int(m.maxTime) ?? bad("maxTime is not an integer");
  if (!(minTime < maxTime)) bad(`minTime ${minTime} is not before maxTime ${maxTime}`);
  const s = obj(m.stats) ?? bad("stats is not an object");
  const count = (name: string): number => {
    const n = int(s[name]);
    return n !== undefined && n >= 0 ? n : bad(`stats.${name} is not a count`);
  };
  const stats: BlockStats = {
    numSamples: count("numSamples"),
    numSeries: count("numSeries"),
    numChunks: count("numChunks"),
  };
  const c = obj(m.compaction) ?? bad("compaction is not an object");
  const level = int(c.level);
  if (level === undefined || level < 1) bad("compaction.level is not an integer ≥ 1");
  if (!Array.isArray(c.sources) || c.sources.length === 0) bad("compaction.sources is not a list of ULIDs");
  const sources = (c.sources as unknown[]).map(
    (u) => ulidField(u) ?? bad("compaction.sources holds a non-ULID"),
  );
  if (!Array.isArray(c.parents)) bad("compaction.parents is not a list");
  const parents = (c.parents as unknown[]).map((p): BlockParent => {
    const o = obj(p) ?? bad("compaction.parents holds a non-object");
    const pMin = int(o.minTime);
    const pMax = int(o.maxTime);
    if (pMin === undefined || pMax === undefined || !(pMin < pMax)) bad("a parent's range is invalid");
    return {
      ulid: ulidField(o.ulid) ?? bad("a parent's ulid is not a ULID"),
      minTime: pMin!,
      maxTime: pMax!,
    };
  });
  return {
    ulid,
    minTime,
    maxTime,
    stats,
    compaction: { level: level!, sources, parents },
    version: BLOCK_META_VERSION,
  };
}

/** Reads and checks `<dir>/meta.json`. Throws {@link BlockError} `block_meta_invalid`, also when it is missing. */
export async function readBlockMeta(dir: string): Promise<BlockMeta> {
  const file = join(dir, META_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BlockError("block_meta_invalid", file, `cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseBlockMeta(text, file);
}

/** Creates `<dir>/meta.json` (it must not exist) holding `meta`, and fsyncs it unless `sync` is false. */
export async function writeBlockMeta(dir: string, meta: BlockMeta, sync: boolean): Promise<void> {
  const fh = await open(join(dir, META_FILE), "wx");
  try {
    await fh.writeFile(`${JSON.stringify(meta, null, 2)}\n`, "utf8");
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

function obj(x: unknown): Record<string, unknown> | undefined {
  return typeof x === "object" && x !== null && !Array.isArray(x)
    ? (x as Record<string, unknown>)
    : undefined;
}

function int(x: unknown): number | undefined {
  return Number.isSafeInteger(x) ? (x as number) : undefined;
}

function ulidField(x: unknown): string | undefined {
  return typeof x === "string" && isUlid(x) ? x : undefined;
}
