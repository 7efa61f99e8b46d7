import { deflateRawSync } from "node:zlib";
import { deflate as libdeflateRaw } from "libdeflate";

/**
 * The DEFLATE encoder of log chunks (ADR 13, "Revisited: libdeflate"): libdeflate compiled to
 * WebAssembly (the `libdeflate` package), which at level 5 stores this corpus's lines ~2 % smaller
 * than zlib's level 6 at the same speed, and whose output zlib inflates ~10 % faster. The output is
 * plain raw DEFLATE: readers inflate it with `node:zlib` as before, and nothing in the format
 * records which encoder wrote a block.
 *
 * The package's Emscripten runtime adds `uncaughtException` and `unhandledRejection` listeners to
 * `process` (rethrowing whatever they get) when it is first used; they would change how the seed
 * reports its own errors, so they are removed again as soon as the module is up. If the module
 * cannot be loaded or fails, zlib encodes instead (levels above 9 as 9) and the store goes on.
 */

/** Levels of {@link deflateRaw}: libdeflate's scale. */
export const MIN_DEFLATE_LEVEL = 1;
export const MAX_DEFLATE_LEVEL = 12;

type Encoder = (raw: Uint8Array, level: number) => Uint8Array;

let encoder: Encoder | undefined;

function zlibEncoder(raw: Uint8Array, level: number): Uint8Array {
  return deflateRawSync(raw, { level: Math.min(9, level) });
}

/** Instantiates libdeflate once, keeping `process` free of the listeners its runtime adds. */
function loadEncoder(): Encoder {
  const events = ["uncaughtException", "unhandledRejection"];
  const emitter = process as NodeJS.EventEmitter;
  const before = events.map((e) => new Set(emitter.listeners(e)));
  try {
    libdeflateRaw(new Uint8Array(1), 1);
    return libdeflateRaw;
  } catch {
    return zlibEncoder;
  } finally {
    events.forEach((e, i) => {
      for (const l of emitter.listeners(e)) {
        if (!before[i]!.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
      }
    });
  }
}

/**
 * `raw` as raw DEFLATE (RFC 1951, no zlib or gzip framing) at `level` (1–12, libdeflate's scale;
 * 12 is slowest and smallest). Returns a fresh buffer.
 */
export function deflateRaw(raw: Uint8Array, level: number): Uint8Array {
  if (!Number.isInteger(level) || level < MIN_DEFLATE_LEVEL || level > MAX_DEFLATE_LEVEL) {
    throw new RangeError(
      `DEFLATE level ${level}: use an integer from ${MIN_DEFLATE_LEVEL} to ${MAX_DEFLATE_LEVEL}`,
    );
  }
  encoder ??= loadEncoder();
  try {
    return encoder(raw, level);
  } catch {
    // The WebAssembly heap could not grow, or the module failed: this block through zlib.
    return zlibEncoder(raw, level);
  }
}

/** Which encoder {@link deflateRaw} uses (loading it if need be): for the benchmark's report. */
export function deflateEncoderName(): "libdeflate" | "zlib" {
  encoder ??= loadEncoder();
  return encoder === zlibEncoder ? "zlib" : "libdeflate";
}
