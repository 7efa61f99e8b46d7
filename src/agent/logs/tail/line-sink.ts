import { isUtf8 } from "node:buffer";
import type { Stream } from "./record.js";

/**
 * The seam through which {@link TailManager} hands a target's lines over without making a string,
 * object or bigint per line (see {@link LineSink}), and the small helpers of that path: UTF-8
 * checks on byte ranges and the split of nanosecond times into milliseconds and the rest.
 */

/**
 * Takes the lines of a target synchronously, during the read that found them, in file order per
 * file (files interleave). Each line comes once, through one of the two methods; malformed lines do
 * not come here (they go to `onEntries`, see {@link EntryBatch}). The positions of a file go out
 * through `onEntries` only after the sink has had every line before them: the sink must keep what
 * it takes (or know it is lost) before that batch's promise resolves. The sink is never called
 * while a promise of `onEntries` is pending (one loop reads, then hands over, then reads again).
 * Must not throw: an exception leaves the read loop for `onError`, and the rest of that tailer
 * batch is lost.
 *
 * Arguments, for both methods: `file` is the file's labels (the same object for every line of a
 * file, as {@link LogEntry.labels}: do not mutate); `stream` is undefined for raw files; `ms` is
 * milliseconds since the Unix epoch, rounded down, and `subNs` the nanoseconds within it
 * (0–999999): the runtime's timestamp for container logs, the read time for raw lines (one per
 * tailer batch, `subNs` 0).
 */
export interface LineSink {
  /**
   * A line as bytes `data[start, end)`: valid UTF-8, framing removed, valid only during the call
   * (copy what you keep). A line cut at `maxLineBytes` comes without the incomplete character the
   * cut may leave at its end.
   */
  bytes(
    file: Readonly<Record<string, string>>,
    stream: Stream | undefined,
    ms: number,
    subNs: number,
    data: Uint8Array,
    start: number,
    end: number,
  ): void;
  /**
   * A line that only exists as a string: joined from pieces (with the first piece's timestamp),
   * Docker json-file content, or bytes that are not valid UTF-8 (decoded with U+FFFD for them).
   */
  text(
    file: Readonly<Record<string, string>>,
    stream: Stream | undefined,
    ms: number,
    subNs: number,
    line: string,
  ): void;
}

/** Nanoseconds per millisecond. */
export const NS_PER_MS = 1_000_000n;

/** Milliseconds, rounded down, of a time in nanoseconds since the epoch. */
export function msOfNs(ns: bigint): number {
  const q = ns / NS_PER_MS;
  return Number(ns % NS_PER_MS < 0n ? q - 1n : q);
}

/** Nanoseconds within the millisecond (0–999999) of a time in nanoseconds since the epoch. */
export function subNsOfNs(ns: bigint): number {
  const r = ns % NS_PER_MS;
  return Number(r < 0n ? r + NS_PER_MS : r);
}

/** `end`, or less so that `b[start, end)` does not end inside a multi-byte UTF-8 character. */
export function completeUtf8End(b: Uint8Array, start: number, end: number): number {
  if (end <= start) return end;
  let i = end - 1;
  // Back over continuation bytes (10xxxxxx), at most 3, to the lead byte of the last character.
  while (i > start && i > end - 4 && (b[i]! & 0xc0) === 0x80) i--;
  const lead = b[i]!;
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + len > end ? i : end;
}

/**
 * Gives the line `data[start, end)` to `sink`: as bytes when valid UTF-8, else as text with
 * replacement characters. `valid` says the batch check found it valid; a line `cut` at maxLineBytes
 * loses a character split by the cut and is checked alone.
 */
export function bytesToSink(
  sink: LineSink,
  file: Readonly<Record<string, string>>,
  stream: Stream | undefined,
  ms: number,
  subNs: number,
  data: Buffer,
  start: number,
  end: number,
  cut: boolean,
  valid: boolean,
): void {
  const e = cut ? completeUtf8End(data, start, end) : end;
  if ((valid && !cut) || isUtf8(data.subarray(start, e))) sink.bytes(file, stream, ms, subNs, data, start, e);
  else sink.text(file, stream, ms, subNs, data.toString("utf8", start, e));
}
