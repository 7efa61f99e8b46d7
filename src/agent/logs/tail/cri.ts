import type { ParsedRecord, Stream } from "./record.js";
import { parseRfc3339Into, type Rfc3339Time } from "./rfc3339.js";

/**
 * The CRI log format, as containerd and CRI-O write `/var/log/pods/…/N.log`:
 * `<RFC3339Nano timestamp> <stdout|stderr> <tags> <content>`, where the tags are `:`-separated and
 * the first is `P` (partial: the line continues in the next record of the same stream) or `F`
 * (full, or the last piece of a partial line). Runtimes split long lines into `P` records of about
 * 16 KiB; {@link PartialJoiner} puts them back together.
 *
 * One parser, two faces: {@link scanCriLine} fills a caller-owned {@link CriScan} with numbers and
 * offsets (no allocation, for the per-line path); {@link parseCriLine} builds a {@link ParsedRecord}
 * from it.
 */

const SP = 0x20;

/**
 * The result of {@link scanCriLine}, owned and reused by the caller. A successful call sets every
 * field; a failed one sets `error` and may leave the others as they were.
 */
export interface CriScan extends Rfc3339Time {
  /** Milliseconds since the Unix epoch of the record's timestamp, rounded down. */
  ms: number;
  /** Nanoseconds within that millisecond, 0–999999. */
  subNs: number;
  stream: Stream | undefined;
  /** The record is a `P` piece: the line continues in the next record of the same stream. */
  partial: boolean;
  /** Index in the buffer where the content starts (the line's end when it has none). */
  contentStart: number;
  /** Why the last scan failed (a constant string such as `cri: bad timestamp`); `""` after a success. */
  error: string;
}

/** A fresh {@link CriScan} to reuse across calls. */
export function newCriScan(): CriScan {
  return { ms: Number.NaN, subNs: 0, stream: undefined, partial: false, contentStart: 0, error: "" };
}

function streamAt(b: Uint8Array, i: number): Stream | undefined {
  // "stdout" / "stderr": common prefix "std", then "out" or "err".
  if (b[i] !== 0x73 || b[i + 1] !== 0x74 || b[i + 2] !== 0x64) return undefined;
  if (b[i + 3] === 0x6f && b[i + 4] === 0x75 && b[i + 5] === 0x74) return "stdout";
  if (b[i + 3] === 0x65 && b[i + 4] === 0x72 && b[i + 5] === 0x72) return "stderr";
  return undefined;
}

/** Index of the first space in `b[from, end)`, or `end`. */
function spaceBefore(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && b[i] !== SP) i++;
  return i;
}

function fail(out: CriScan, error: string): false {
  out.error = error;
  return false;
}

/**
 * Scans the CRI record in `b[start, end)` (one line, newline excluded) into `out` without allocating
 * and without reading outside the range. Returns whether it is a record; if not, `out.error` says
 * why. The content is `b[out.contentStart, end)`.
 */
export function scanCriLine(b: Uint8Array, start: number, end: number, out: CriScan): boolean {
  const sp1 = spaceBefore(b, start, end);
  if (sp1 >= end) return fail(out, "cri: no stream field");
  if (!parseRfc3339Into(b, start, sp1, out)) return fail(out, "cri: bad timestamp");
  const stream = sp1 + 7 <= end ? streamAt(b, sp1 + 1) : undefined;
  if (stream === undefined || (sp1 + 7 !== end && b[sp1 + 7] !== SP)) return fail(out, "cri: bad stream");
  const tagStart = sp1 + 8;
  if (tagStart >= end) return fail(out, "cri: no tags");
  const tagEnd = spaceBefore(b, tagStart, end);
  const tag = b[tagStart];
  const tagOk = tagEnd === tagStart + 1 || b[tagStart + 1] === 0x3a;
  if ((tag !== 0x50 && tag !== 0x46) || !tagOk) return fail(out, "cri: bad tag");
  out.stream = stream;
  out.partial = tag === 0x50;
  out.contentStart = tagEnd >= end ? end : tagEnd + 1;
  out.error = "";
  return true;
}

/** Scratch for {@link parseCriLine} and {@link looksLikeCri} (synchronous, so never shared in flight). */
const scratch = newCriScan();

/**
 * Decodes the CRI record in `b[start, end)` (one line, newline excluded). Never throws: a line that
 * does not follow the format comes back as a {@link MalformedRecord} holding it whole.
 */
export function parseCriLine(b: Buffer, start = 0, end = b.length): ParsedRecord {
  const s = scratch;
  if (!scanCriLine(b, start, end, s))
    return { ok: false, error: s.error, raw: b.toString("utf8", start, end) };
  return {
    ok: true,
    tsNs: BigInt(s.ms) * 1_000_000n + BigInt(s.subNs),
    stream: s.stream!,
    partial: s.partial,
    content: b.toString("utf8", s.contentStart, end),
  };
}

/** Whether `b[start, end)` looks like a CRI record (used to detect a file's format from its first line). */
export function looksLikeCri(b: Buffer, start = 0, end = b.length): boolean {
  return scanCriLine(b, start, end, scratch);
}
