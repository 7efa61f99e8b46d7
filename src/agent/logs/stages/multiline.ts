/**
 * The `multiline` stage: joins the lines of one stream into blocks, each starting at a line matching
 * `firstline` (RE2), joined with "\n". A block is released when the next first line of its stream
 * arrives, when it reaches `max_lines` (default 128), or at `flush` once no line was added for
 * `max_wait_time` (default 3s). The block keeps its first entry's time, labels and extracted values.
 * A line that arrives with no open block starts one even if it is not a first line, so nothing is lost.
 */
import type { ConfigReader } from "./config.js";
import { type Entry, StreamKeys } from "./entry.js";
import { compileRE2Field } from "./regex.js";
import type { Sink, StageEnv } from "./sink.js";

interface Block {
  readonly first: Entry;
  readonly lines: string[];
  lastMs: number;
}

/** Compiles a `multiline` stage. */
export function multilineStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const firstline = r.string("firstline", "an RE2 regular expression matching the first line of a block");
  const maxWaitMs = r.optDurationMs("max_wait_time") ?? 3000;
  const maxLines = r.optNumber("max_lines", 1, true) ?? 128;
  r.done();
  const re = compileRE2Field(r, "firstline", firstline);
  const blocks = new Map<string, Block>();
  const keys = new StreamKeys();

  const release = (key: string, b: Block, now: number) => {
    blocks.delete(key);
    b.first.line = b.lines.length === 1 ? b.lines[0]! : b.lines.join("\n");
    next.push(b.first, now);
  };

  return {
    push(e, now) {
      const key = keys.of(e.labels);
      const open = blocks.get(key);
      if (open !== undefined && !re.test(e.line)) {
        open.lines.push(e.line);
        open.lastMs = now;
        if (open.lines.length >= maxLines) release(key, open, now);
        return;
      }
      if (open !== undefined) release(key, open, now);
      const b: Block = { first: e, lines: [e.line], lastMs: now };
      blocks.set(key, b);
      if (maxLines === 1) release(key, b, now);
    },
    flush(now, final) {
      for (const [key, b] of blocks) if (final || now - b.lastMs >= maxWaitMs) release(key, b, now);
      next.flush(now, final);
    },
  };
}
