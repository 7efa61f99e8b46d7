import { brotliCompressSync, brotliDecompressSync, constants, inflateRawSync } from "node:zlib";
import snappy from "snappy";
import { deflateRaw } from "./deflate-encoder.js";

/**
 * The block codecs of a log chunk (`docs/format/log-chunk.md`, "Codecs"; the choice is ADR 13). The
 * number is the `codec` byte of the chunk header; a number is never reused for another codec.
 */
export const LOG_CODECS = { none: 0, snappy: 1, deflate: 2, brotli: 3 } as const;

/** A codec name, as chunk builders take it. */
export type LogCodecName = keyof typeof LOG_CODECS;

/**
 * The codec new chunks use: raw DEFLATE (gzip's algorithm without its framing), written by
 * libdeflate at level 5 (ADR 13).
 */
export const DEFAULT_LOG_CODEC: LogCodecName = "deflate";

/** The default compression level per codec (ignored by `none` and `snappy`). */
export const DEFAULT_LOG_CODEC_LEVEL: Readonly<Record<LogCodecName, number>> = {
  none: 0,
  snappy: 0,
  deflate: 5,
  brotli: 1,
};

/** The codec name of a header byte, or undefined for a number this version does not know. */
export function logCodecName(id: number): LogCodecName | undefined {
  for (const [name, n] of Object.entries(LOG_CODECS)) if (n === id) return name as LogCodecName;
  return undefined;
}

/**
 * Compresses one block payload. `level` is the codec's own scale (deflate 1–12, libdeflate's; brotli 0–11). Returns
 * a buffer the caller owns; `raw` is only read.
 */
export function compressBlock(codec: LogCodecName, raw: Uint8Array, level: number): Uint8Array {
  switch (codec) {
    case "none":
      return raw.slice();
    case "snappy":
      return snappy.compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
    case "deflate":
      return deflateRaw(raw, level);
    case "brotli":
      return brotliCompressSync(raw, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: level,
          [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
        },
      });
  }
}

/**
 * Decompresses one block whose payload is `rawLength` bytes long. The output buffer is allocated
 * once at its exact size (zlib's default, 16 KiB pieces joined at the end, decompressed 64 KiB blocks
 * about 25% slower in a quick measurement) and never grows past `rawLength`. Throws whatever the
 * codec throws on bad input; the chunk reader turns that into a `LogChunkError`.
 */
export function decompressBlock(codec: LogCodecName, data: Uint8Array, rawLength: number): Buffer {
  const chunkSize = Math.max(64, rawLength);
  switch (codec) {
    case "none":
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case "snappy":
      // Snappy's preamble states the output size; check it first, so a corrupt block cannot make
      // the native decoder allocate up to 4 GiB.
      if (snappyLength(data) !== rawLength)
        throw new Error("snappy length preamble disagrees with the index");
      return snappy.uncompressSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
        asBuffer: true,
      }) as Buffer;
    case "deflate":
      return inflateRawSync(data, { chunkSize, maxOutputLength: chunkSize });
    case "brotli":
      return brotliDecompressSync(data, { chunkSize, maxOutputLength: chunkSize });
  }
}

/** The uncompressed length a raw snappy block states in its preamble (a uvarint of ≤ 5 bytes), or -1. */
function snappyLength(data: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < 5 && i < data.length; i++) {
    const b = data[i]!;
    v += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return v;
  }
  return -1;
}
