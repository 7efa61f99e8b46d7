/**
 * The stages that change the label set and structured metadata: `labels` and
 * `structured_metadata` (from extracted values), `static_labels`, `labeldrop` and `labelallow`.
 * An extracted value that is absent or empty sets nothing (Loki drops empty labels anyway).
 */
import { type ConfigReader, describe, StageConfigError } from "./config.js";
import { isLabelName, valueToString } from "./entry.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";

/** Compiles a `labels` stage: its body maps label names to extracted names (empty = same name). */
export function labelsStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const pairs = r.bodyStringMap(true, "a mapping of label names to extracted names", isLabelName);
  return mapStage(next, (e) => {
    for (const [label, src] of pairs) {
      const v = valueToString(e.extracted.get(src));
      if (v !== "") e.labels.set(label, v);
    }
  });
}

/** Compiles a `structured_metadata` stage: its body maps metadata names to extracted names (empty = same name). */
export function structuredMetadataStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const pairs = r.bodyStringMap(true, "a mapping of metadata names to extracted names", isLabelName);
  return mapStage(next, (e) => {
    for (const [name, src] of pairs) {
      const v = valueToString(e.extracted.get(src));
      if (v !== "") e.metadata.set(name, v);
    }
  });
}

/** Compiles a `static_labels` stage: its body maps label names to fixed values. */
export function staticLabelsStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const pairs = r.bodyStringMap(false, "a mapping of label names to values", isLabelName);
  return mapStage(next, (e) => {
    for (const [label, v] of pairs) e.labels.set(label, v);
  });
}

/** Compiles a `labeldrop` stage: its body is a list of label names to remove. */
export function labelDropStage(body: unknown, path: string, next: Sink): Sink {
  const names = labelList(body, path);
  return mapStage(next, (e) => {
    for (const n of names) e.labels.delete(n);
  });
}

/** Compiles a `labelallow` stage: its body is a list of the only label names to keep. */
export function labelAllowStage(body: unknown, path: string, next: Sink): Sink {
  const keep = new Set(labelList(body, path));
  return mapStage(next, (e) => {
    for (const n of e.labels.keys()) if (!keep.has(n)) e.labels.delete(n);
  });
}

function labelList(body: unknown, path: string): string[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw new StageConfigError(path, `expected a non-empty list of label names, found ${describe(body)}`);
  }
  body.forEach((n, i) => {
    if (typeof n !== "string" || !isLabelName(n)) {
      throw new StageConfigError(
        `${path}[${i}]`,
        `expected a label name ([a-zA-Z_][a-zA-Z0-9_]*), found ${describe(n)}`,
      );
    }
  });
  return body as string[];
}
