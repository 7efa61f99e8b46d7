/**
 * Compiling a YAML-decoded `pipeline_stages` list into a {@link Pipeline}, configured like
 * Promtail's. Each list item is a mapping with exactly one key, the stage's name.
 */
import { ConfigReader, describe, StageConfigError } from "./config.js";
import { criStage, dockerStage } from "./container-formats.js";
import { dropStage } from "./drop.js";
import type { Entry } from "./entry.js";
import { jsonStage } from "./json.js";
import {
  labelAllowStage,
  labelDropStage,
  labelsStage,
  staticLabelsStage,
  structuredMetadataStage,
} from "./labels.js";
import { limitStage } from "./limit.js";
import { logfmtStage } from "./logfmt.js";
import { matchStage } from "./match.js";
import { multilineStage } from "./multiline.js";
import { outputStage } from "./output.js";
import { regexStage } from "./regex.js";
import { replaceStage } from "./replace.js";
import type { Sink, StageEnv, StageFactory } from "./sink.js";
import { templateStage } from "./template.js";
import { timestampStage } from "./timestamp.js";

/** Options of {@link compilePipeline}. */
export interface PipelineOptions {
  /** The name of the list in error messages; default `pipeline_stages`. */
  readonly path?: string;
}

/**
 * A compiled pipeline. Stateful (multiline blocks, rate-limit buckets, last timestamps per stream),
 * single-threaded; one per scrape configuration, shared by its streams. Entries passed in belong to
 * the pipeline: it changes them in place and returns them (or a merged one) later.
 */
export interface Pipeline {
  /**
   * Runs one entry through the stages at `now` (Unix milliseconds of the caller's clock; used by
   * `limit`, `drop.older_than`, multiline timeouts and year-less timestamps). Returns the entries
   * that came out, in order: none (dropped, counted in {@link dropped}, or held by `multiline`), the
   * entry, or blocks that the entry released.
   */
  process(entry: Entry, now: number): Entry[];
  /**
   * Releases held entries whose wait expired at `now` (`multiline.max_wait_time`, CRI partial
   * lines), or all of them when `final` (shutdown). Call periodically, e.g. every second.
   */
  flush(now: number, final?: boolean): Entry[];
  /** Dropped entries by reason since compilation (`drop_stage`, `ratelimit`, `match_stage`, `malformed_json`, custom reasons). */
  readonly dropped: ReadonlyMap<string, number>;
}

const STAGES: Readonly<Record<string, StageFactory>> = {
  cri: criStage,
  docker: dockerStage,
  json: jsonStage,
  logfmt: logfmtStage,
  regex: regexStage,
  labels: labelsStage,
  static_labels: staticLabelsStage,
  structured_metadata: structuredMetadataStage,
  timestamp: timestampStage,
  output: outputStage,
  replace: replaceStage,
  template: templateStage,
  drop: dropStage,
  limit: limitStage,
  multiline: multilineStage,
  match: matchStage,
};

/** Stages whose body is a list rather than a mapping of options. */
const LIST_STAGES: Readonly<Record<string, (body: unknown, path: string, next: Sink) => Sink>> = {
  labeldrop: labelDropStage,
  labelallow: labelAllowStage,
};

const UNSUPPORTED: Readonly<Record<string, string>> = {
  tenant: "the tenant comes from the cluster's certificate, not from the pipeline",
  metrics: "metrics from log lines are computed by the seed's ruler with LogQL instead",
  pack: "not supported by the Mirador agent",
  decolorize: "not supported by the Mirador agent; use replace with expression '\\x1b\\[[0-9;]*m'",
  sampling: "not supported by the Mirador agent",
  geoip: "not supported by the Mirador agent",
  eventlogmessage: "not supported by the Mirador agent",
};

/** Names of the supported stages, for error messages and documentation. */
export const STAGE_NAMES: readonly string[] = [...Object.keys(STAGES), ...Object.keys(LIST_STAGES)].sort();

/**
 * Compiles `stages` (the YAML-decoded list). Throws {@link StageConfigError} naming the stage's
 * index, the field and what is allowed (`pipeline_stages[3].regex.expression: …`).
 */
export function compilePipeline(stages: unknown, opts: PipelineOptions = {}): Pipeline {
  const dropped = new Map<string, number>();
  let out: Entry[] = [];
  const end: Sink = {
    push(e) {
      out.push(e);
    },
    flush() {},
  };
  const env: StageEnv = {
    drop(reason) {
      dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
    },
    compileStages: (list, path, next) => compileList(list, path, next, env),
  };
  const head = compileList(stages ?? [], opts.path ?? "pipeline_stages", end, env);
  return {
    process(entry, now) {
      out = [];
      head.push(entry, now);
      return out;
    },
    flush(now, final = false) {
      out = [];
      head.flush(now, final);
      return out;
    },
    dropped,
  };
}

/** Compiles a list of stages in front of `next`, from the last to the first. */
function compileList(list: unknown, path: string, next: Sink, env: StageEnv): Sink {
  if (!Array.isArray(list))
    throw new StageConfigError(path, `expected a list of stages, found ${describe(list)}`);
  let sink = next;
  for (let i = list.length - 1; i >= 0; i--) sink = compileOne(list[i], `${path}[${i}]`, sink, env);
  return sink;
}

function compileOne(item: unknown, path: string, next: Sink, env: StageEnv): Sink {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    throw new StageConfigError(
      path,
      `expected a mapping with one stage name (${STAGE_NAMES.join(", ")}), found ${describe(item)}`,
    );
  }
  const keys = Object.keys(item);
  if (keys.length !== 1) {
    throw new StageConfigError(
      path,
      `expected exactly one stage name per list item, found ${keys.length === 0 ? "none" : keys.join(", ")}`,
    );
  }
  const name = keys[0]!;
  const body = (item as Record<string, unknown>)[name];
  const at = `${path}.${name}`;
  const list = LIST_STAGES[name];
  if (list !== undefined) return list(body, at, next);
  const factory = STAGES[name];
  if (factory === undefined) {
    const why = UNSUPPORTED[name] ?? `unknown stage; supported: ${STAGE_NAMES.join(", ")}`;
    throw new StageConfigError(at, why);
  }
  return factory(new ConfigReader(at, body), next, env);
}
