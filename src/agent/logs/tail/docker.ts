import type { ParsedRecord } from "./record.js";
import { parseRfc3339Nano } from "./rfc3339.js";

/**
 * Docker's `json-file` log driver format, one JSON object per line:
 * `{"log":"text\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`. A `log` without a
 * trailing `\n` is a piece of a longer line (Docker splits at 16 KiB) to be joined with the next
 * record of the same stream ({@link PartialJoiner}).
 */

function malformed(raw: string, error: string): ParsedRecord {
  return { ok: false, error, raw };
}

/**
 * Decodes the json-file record in `b[start, end)` (one line, newline excluded). Never throws: a
 * line that is not such a record comes back as a {@link MalformedRecord} holding it whole.
 */
export function parseDockerLine(b: Buffer, start = 0, end = b.length): ParsedRecord {
  const raw = b.toString("utf8", start, end);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return malformed(raw, "docker: not JSON");
  }
  if (typeof v !== "object" || v === null) return malformed(raw, "docker: not an object");
  const { log, stream, time } = v as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof log !== "string") return malformed(raw, "docker: no log field");
  if (stream !== "stdout" && stream !== "stderr") return malformed(raw, "docker: bad stream");
  if (typeof time !== "string") return malformed(raw, "docker: no time field");
  const t = Buffer.from(time, "latin1");
  const tsNs = parseRfc3339Nano(t, 0, t.length);
  if (tsNs === undefined) return malformed(raw, "docker: bad time");
  const partial = !log.endsWith("\n");
  return { ok: true, tsNs, stream, partial, content: partial ? log : log.slice(0, -1) };
}
