import type { ParsedRecord, Stream } from "./record.js";
import { parseRfc3339Nano } from "./rfc3339.js";

/**
 * The CRI log format, as containerd and CRI-O write `/var/log/pods/…/N.log`:
 * `<RFC3339Nano timestamp> <stdout|stderr> <tags> <content>`, where the tags are `:`-separated and
 * the first is `P` (partial: the line continues in the next record of the same stream) or `F`
 * (full, or the last piece of a partial line). Runtimes split long lines into `P` records of about
 * 16 KiB; {@link PartialJoiner} puts them back together.
 */

const SP = 0x20;

function malformed(b: Buffer, start: number, end: number, error: string): ParsedRecord {
  return { ok: false, error, raw: b.toString("utf8", start, end) };
}

function streamAt(b: Uint8Array, i: number): Stream | undefined {
  // "stdout" / "stderr": common prefix "std", then "out" or "err".
  if (b[i] !== 0x73 || b[i + 1] !== 0x74 || b[i + 2] !== 0x64) return undefined;
  if (b[i + 3] === 0x6f && b[i + 4] === 0x75 && b[i + 5] === 0x74) return "stdout";
  if (b[i + 3] === 0x65 && b[i + 4] === 0x72 && b[i + 5] === 0x72) return "stderr";
  return undefined;
}

/**
 * Decodes the CRI record in `b[start, end)` (one line, newline excluded). Never throws: a line that
 * does not follow the format comes back as a {@link MalformedRecord} holding it whole.
 */
export function parseCriLine(b: Buffer, start = 0, end = b.length): ParsedRecord {
  const sp1 = b.indexOf(SP, start);
  if (sp1 < 0 || sp1 >= end) return malformed(b, start, end, "cri: no stream field");
  const tsNs = parseRfc3339Nano(b, start, sp1);
  if (tsNs === undefined) return malformed(b, start, end, "cri: bad timestamp");
  const stream = sp1 + 7 <= end ? streamAt(b, sp1 + 1) : undefined;
  if (stream === undefined || (b[sp1 + 7] !== SP && sp1 + 7 !== end)) {
    return malformed(b, start, end, "cri: bad stream");
  }
  const tagStart = sp1 + 8;
  if (tagStart >= end) return malformed(b, start, end, "cri: no tags");
  let tagEnd = b.indexOf(SP, tagStart);
  if (tagEnd < 0 || tagEnd > end) tagEnd = end;
  const tag = b[tagStart];
  const tagOk = tagEnd === tagStart + 1 || b[tagStart + 1] === 0x3a;
  if ((tag !== 0x50 && tag !== 0x46) || !tagOk) return malformed(b, start, end, "cri: bad tag");
  const content = tagEnd >= end ? "" : b.toString("utf8", tagEnd + 1, end);
  return { ok: true, tsNs, stream, partial: tag === 0x50, content };
}

/** Whether `b[start, end)` looks like a CRI record (used to detect a file's format from its first line). */
export function looksLikeCri(b: Buffer, start = 0, end = b.length): boolean {
  return parseCriLine(b, start, end).ok;
}
