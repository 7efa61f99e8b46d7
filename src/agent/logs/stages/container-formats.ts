/**
 * The `cri` and `docker` stages: parse the container runtimes' log file formats. A malformed line is
 * kept unchanged with `log_error` set (see entry.ts).
 *
 * CRI: `<RFC3339Nano time> <stdout|stderr> <P|F> <content>`. Docker json-file:
 * `{"log":"…\n","stream":"stdout","time":"…"}` (the trailing newline of `log` is removed).
 *
 * Both runtimes split long lines: CRI writes partial records (`P`) before the final one (`F`),
 * Docker writes records whose `log` lacks the trailing newline. The pieces are joined into one entry
 * with the first piece's time and labels (see partial-lines.ts). A stream's pieces are released when
 * the line ends, when `max_partial_lines` (default 100) pieces are held, when `max_partial_line_size`
 * is reached (the joined line is cut there with `max_partial_line_size_truncate: true`), when no piece
 * followed for {@link PARTIAL_MAX_WAIT_MS} (at `flush`), or at the final flush.
 */
import type { ConfigReader } from "./config.js";
import { type Entry, markParseError, StreamKeys } from "./entry.js";
import { PARTIAL_MAX_WAIT_MS, type PartialLimits, PartialLines } from "./partial-lines.js";
import type { Sink, StageEnv } from "./sink.js";
import { parseRFC3339Nano } from "./time-formats.js";

export { PARTIAL_MAX_WAIT_MS };

function partialLimits(r: ConfigReader): PartialLimits {
  return {
    maxParts: r.optNumber("max_partial_lines", 1, true) ?? 100,
    maxSize: r.optBytes("max_partial_line_size") ?? 0,
    truncate: r.bool("max_partial_line_size_truncate", false),
  };
}

/** Compiles a `cri` stage. */
export function criStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const limits = partialLimits(r);
  r.done();
  const keys = new StreamKeys();
  const partials = new PartialLines(limits, (e, line, now) => {
    e.line = line;
    e.extracted.set("content", line);
    next.push(e, now);
  });
  return {
    push(e, now) {
      const rec = parseCRI(e.line);
      if (rec === undefined) {
        markParseError(e, "cri");
        next.push(e, now);
        return;
      }
      e.extracted.set("time", rec.time);
      e.extracted.set("stream", rec.stream);
      e.extracted.set("flags", rec.flag);
      e.extracted.set("content", rec.content);
      e.labels.set("stream", rec.stream);
      e.tsNs = rec.tsNs;
      e.line = rec.content;
      const final = rec.flag === "F";
      if (final && partials.empty) {
        next.push(e, now); // the common case: no piece pending anywhere
        return;
      }
      const key = keys.of(e.labels);
      if (final && !partials.has(key)) next.push(e, now);
      else partials.add(key, e, rec.content, final, now);
    },
    flush(now, final) {
      partials.release(now, final);
      next.flush(now, final);
    },
  };
}

interface CRIRecord {
  time: string;
  tsNs: bigint;
  stream: string;
  flag: string;
  content: string;
}

/** Parses one CRI record, or undefined when malformed. */
export function parseCRI(line: string): CRIRecord | undefined {
  const s1 = line.indexOf(" ");
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(" ", s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.slice(s1 + 1, s2);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const flag = line.charAt(s2 + 1);
  if (flag !== "P" && flag !== "F") return undefined;
  // The tag field may carry more in future runtimes (`F:x`); it ends at a space or the end of the line.
  let s3 = s2 + 2;
  if (s3 < line.length && line.charCodeAt(s3) !== 32) {
    s3 = line.indexOf(" ", s2 + 1);
    if (s3 < 0) s3 = line.length;
  }
  const time = line.slice(0, s1);
  const tsNs = parseRFC3339Nano(time);
  if (tsNs === undefined) return undefined;
  return { time, tsNs, stream, flag, content: s3 + 1 <= line.length ? line.slice(s3 + 1) : "" };
}

/** Compiles a `docker` stage. */
export function dockerStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const limits = partialLimits(r);
  r.done();
  const keys = new StreamKeys();
  const partials = new PartialLines(limits, (e, line, now) => {
    setDockerLine(e, line);
    next.push(e, now);
  });
  return {
    push(e, now) {
      const rec = parseDocker(e.line);
      if (rec === undefined) {
        markParseError(e, "docker");
        next.push(e, now);
        return;
      }
      const final = rec.log.endsWith("\n");
      const content = final ? rec.log.slice(0, -1) : rec.log;
      e.extracted.set("stream", rec.stream);
      e.extracted.set("time", rec.time);
      e.extracted.set("timestamp", rec.time);
      e.labels.set("stream", rec.stream);
      e.tsNs = rec.tsNs;
      setDockerLine(e, content);
      if (final && partials.empty) {
        next.push(e, now);
        return;
      }
      const key = keys.of(e.labels);
      if (final && !partials.has(key)) next.push(e, now);
      else partials.add(key, e, content, final, now);
    },
    flush(now, final) {
      partials.release(now, final);
      next.flush(now, final);
    },
  };
}

function setDockerLine(e: Entry, line: string): void {
  e.line = line;
  e.extracted.set("log", line);
  e.extracted.set("output", line);
}

interface DockerRecord {
  log: string;
  stream: string;
  time: string;
  tsNs: bigint;
}

/** Parses one Docker json-file record, or undefined when malformed. */
function parseDocker(line: string): DockerRecord | undefined {
  if (line.charCodeAt(0) !== 0x7b /* { */) return undefined;
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof rec !== "object" || rec === null) return undefined;
  const { log, stream, time } = rec as Record<string, unknown>;
  if (typeof log !== "string" || typeof stream !== "string" || typeof time !== "string") return undefined;
  const tsNs = parseRFC3339Nano(time);
  return tsNs === undefined ? undefined : { log, stream, time, tsNs };
}
