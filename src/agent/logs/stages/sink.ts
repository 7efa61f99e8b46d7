/**
 * How compiled stages are chained: each stage is a {@link Sink} that hands the entries it lets
 * through to the next one. A stage may hold entries back (multiline, CRI partial lines) and release
 * them from a later `push` or from `flush`.
 */
import type { ConfigReader } from "./config.js";
import type { Entry } from "./entry.js";

/** One compiled stage, or the end of a chain. Single-threaded; `now` is Unix milliseconds from the caller's clock. */
export interface Sink {
  /** Processes one entry and passes what survives to the next sink, now or later. */
  push(e: Entry, now: number): void;
  /**
   * Releases held entries whose wait has expired at `now` (all of them when `final`), then flushes
   * the next sink.
   */
  flush(now: number, final: boolean): void;
}

/** What a stage factory gets besides its options and its next sink. */
export interface StageEnv {
  /** Counts one dropped entry under `reason`. */
  drop(reason: string): void;
  /** Compiles a nested list of stages (`match.stages`) in front of `next`. */
  compileStages(list: unknown, path: string, next: Sink): Sink;
}

/** Compiles one stage from its options. Throws {@link StageConfigError} for invalid options. */
export type StageFactory = (r: ConfigReader, next: Sink, env: StageEnv) => Sink;

/** A stage that changes each entry in place and passes it on. */
export function mapStage(next: Sink, fn: (e: Entry, now: number) => void): Sink {
  return {
    push(e, now) {
      fn(e, now);
      next.push(e, now);
    },
    flush(now, final) {
      next.flush(now, final);
    },
  };
}

/** A stage that drops an entry when `test` returns a reason, counting it, and passes the others on. */
export function filterStage(
  next: Sink,
  env: StageEnv,
  test: (e: Entry, now: number) => string | undefined,
): Sink {
  return {
    push(e, now) {
      const reason = test(e, now);
      if (reason === undefined) next.push(e, now);
      else env.drop(reason);
    },
    flush(now, final) {
      next.flush(now, final);
    },
  };
}
