import { Matcher } from "../../model/matcher.js";
import type { ExtractionParam, LabelFormatStage, LabelSelection, Stage } from "../logql/index.js";
import { decodeJsonObject, jsonPathValue, parseJsonPath } from "./json.js";
import { scanJsonObject } from "./json-scan.js";
import { compileLabelFilter } from "./label-filter.js";
import { compileLineFilter } from "./line-filter.js";
import {
  ERROR_DETAILS_LABEL,
  ERROR_LABEL,
  isLabelName,
  type LineLabels,
  PipelineErrorCode,
  sanitizeLabelName,
} from "./line-labels.js";
import { scanLogfmt } from "./logfmt.js";
import { compilePattern } from "./pattern.js";
import { compileRE2 } from "./regex.js";
import { compileTemplate } from "./template/index.js";
import type { CompileTemplate, TemplateData } from "./template.js";

/** What a pipeline needs from outside. */
export interface PipelineDeps {
  /** The Go-template engine of `line_format` and `label_format`. */
  readonly compileTemplate: CompileTemplate;
}

/** The dependencies of every query: the Go-template engine of `template/`. */
export const DEFAULT_PIPELINE_DEPS: PipelineDeps = { compileTemplate };

/** The result of a line that went through a pipeline. */
export interface PipelineResult {
  readonly line: string;
  /** The same object that was passed in, changed in place. */
  readonly labels: LineLabels;
}

/** A compiled log pipeline. Stateless between lines; safe to share across streams. */
export interface Pipeline {
  /**
   * Runs one entry through the stages. `tsNs` is Unix nanoseconds. `labels` is changed in place
   * (the caller builds one per line). Returns undefined when a stage filtered the line out.
   */
  process(tsNs: bigint, line: string, labels: LineLabels): PipelineResult | undefined;
  /** Whether the pipeline has no stage (a caller may skip it). */
  readonly noop: boolean;
}

/** One compiled stage: the new line, or undefined to drop it. */
type StageFn = (tsNs: bigint, line: string, labels: LineLabels) => string | undefined;

/** Compiles `stages` in order; throws for an invalid regexp, pattern, JSON expression or template. */
export function compilePipeline(
  stages: readonly Stage[],
  deps: PipelineDeps = DEFAULT_PIPELINE_DEPS,
): Pipeline {
  const fns = stages.map((s) => compileStage(s, deps));
  const n = fns.length;
  return {
    noop: n === 0,
    process(tsNs, line, labels) {
      let l: string | undefined = line;
      for (let i = 0; i < n; i++) {
        l = fns[i]!(tsNs, l, labels);
        if (l === undefined) return undefined;
      }
      return { line: l, labels };
    },
  };
}

function compileStage(s: Stage, deps: PipelineDeps): StageFn {
  switch (s.kind) {
    case "lineFilter": {
      const test = compileLineFilter(s);
      return (_ts, line) => (test(line) ? line : undefined);
    }
    case "json":
      return s.params.length === 0 ? jsonAll() : jsonParams(s.params);
    case "logfmt":
      return logfmt(s.strict, s.keepEmpty, s.params);
    case "regexp":
      return regexpParser(s.regexp);
    case "pattern": {
      const p = compilePattern(s.pattern, true);
      const names = p.names.map(sanitizeLabelName);
      return (_ts, line, labels) => {
        const vals = p.match(line);
        if (vals !== undefined)
          for (let i = 0; i < vals.length; i++) labels.setExtracted(names[i]!, vals[i]!);
        return line;
      };
    }
    case "unpack":
      return unpack();
    case "labelFilter": {
      const pred = compileLabelFilter(s.filter);
      return (_ts, line, labels) => (pred(labels) ? line : undefined);
    }
    case "lineFormat": {
      const tmpl = deps.compileTemplate(s.template);
      return (tsNs, line, labels) => {
        try {
          return tmpl({ labels: labels.toRecord(), line, tsNs });
        } catch (err) {
          labels.setError(PipelineErrorCode.templateFormat, (err as Error).message);
          return line;
        }
      };
    }
    case "labelFormat":
      return labelFormat(s, deps);
    case "drop": {
      const sel = compileSelection(s.labels);
      return (_ts, line, labels) => {
        for (const name of [...labels.names()]) if (sel(name, labels.get(name)!)) labels.delete(name);
        return line;
      };
    }
    case "keep": {
      const sel = compileSelection(s.labels);
      return (_ts, line, labels) => {
        for (const name of [...labels.names()]) {
          if (name === ERROR_LABEL || name === ERROR_DETAILS_LABEL) continue;
          if (!sel(name, labels.get(name)!)) labels.delete(name);
        }
        return line;
      };
    }
    case "decolorize":
      return (_ts, line) => (line.includes("\x1b") ? line.replace(ANSI, "") : line);
  }
}

/** ANSI escape sequences (CSI, e.g. colours `ESC[31m`), as `decolorize` removes them. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, "g");

function jsonAll(): StageFn {
  const names = new LabelNameCache();
  const found: string[] = [];
  const visit = (k: string, v: string) => {
    found.push(k, v);
  };
  return (_ts, line, labels) => {
    found.length = 0;
    const err = scanJsonObject(line, visit);
    if (err !== undefined) {
      labels.setError(PipelineErrorCode.json, err);
      return line;
    }
    for (let i = 0; i < found.length; i += 2) {
      const name = names.get(found[i]!);
      if (name !== "") labels.setExtracted(name, found[i + 1]!);
    }
    return line;
  };
}

/**
 * Sanitised label names of field keys that need sanitising, remembered because lines of a stream
 * repeat their keys; valid names (the common case) skip the map.
 */
class LabelNameCache {
  readonly #m = new Map<string, string>();
  get(key: string): string {
    if (isLabelName(key)) return key;
    let name = this.#m.get(key);
    if (name === undefined) {
      name = sanitizeLabelName(key);
      if (this.#m.size >= 4096) this.#m.clear();
      this.#m.set(key, name);
    }
    return name;
  }
}

function jsonParams(params: readonly ExtractionParam[]): StageFn {
  const compiled = params.map((p) => ({
    name: sanitizeLabelName(p.label),
    path: parseJsonPath(p.expression ?? p.label),
  }));
  return (_ts, line, labels) => {
    const obj = decodeJsonObject(line);
    if (typeof obj === "string") {
      labels.setError(PipelineErrorCode.json, obj);
      return line;
    }
    for (const c of compiled) labels.setExtracted(c.name, jsonPathValue(line, c.path) ?? "");
    return line;
  };
}

/**
 * `| logfmt`: without parameters every pair becomes a label (empty values only with `--keep-empty`).
 * With parameters, as Loki's expression parser: each requested label that is not a stream label
 * starts out empty, and the requested fields are extracted even when empty.
 */
function logfmt(strict: boolean, keepEmpty: boolean, params: readonly ExtractionParam[]): StageFn {
  // With parameters: field name → label name; only those fields are extracted.
  const wanted = params.length === 0 ? undefined : new Map<string, string[]>();
  for (const p of params) {
    const field = p.expression ?? p.label;
    const list = wanted!.get(field) ?? [];
    list.push(sanitizeLabelName(p.label));
    wanted!.set(field, list);
  }
  const requested = wanted === undefined ? [] : [...new Set([...wanted.values()].flat())];
  const cache = new LabelNameCache();
  return (_ts, line, labels) => {
    for (const name of requested) if (!labels.stream.has(name)) labels.set(name, "");
    const err = scanLogfmt(line, strict, (k, v) => {
      if (wanted === undefined) {
        if (v === "" && !keepEmpty) return;
        const name = cache.get(k);
        if (name !== "") labels.setExtracted(name, v);
        return;
      }
      const names = wanted.get(k);
      if (names !== undefined) for (const name of names) labels.setExtracted(name, v);
    });
    if (err !== undefined) labels.setError(PipelineErrorCode.logfmt, err);
    return line;
  };
}

function regexpParser(pattern: string): StageFn {
  const re = compileRE2(pattern, "regexp parser");
  const names = [...re.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
  if (names.length === 0) throw new Error(`regexp parser ${JSON.stringify(pattern)} has no named group`);
  return (_ts, line, labels) => {
    const groups = re.exec(line)?.groups;
    if (groups === undefined) return line;
    // A group that took no part in the match sets the label empty, as Loki does.
    for (const name of names) labels.setExtracted(name, groups[name] ?? "");
    return line;
  };
}

function unpack(): StageFn {
  return (_ts, line, labels) => {
    const obj = decodeJsonObject(line);
    if (typeof obj === "string") {
      labels.setError(PipelineErrorCode.json, obj);
      return line;
    }
    let entry: string | undefined;
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (typeof v !== "string") continue;
      if (k === "_entry") entry = v;
      else {
        const name = sanitizeLabelName(k);
        if (name !== "") labels.setExtracted(name, v);
      }
    }
    return entry ?? line;
  };
}

/**
 * `label_format` as Loki runs it: operations apply in order; a rename `dst=src` reads the current
 * labels and does nothing when `src` is absent; templates all see the labels as they were when the
 * stage reached its first template (renames before it included, later operations not).
 */
function labelFormat(s: LabelFormatStage, deps: PipelineDeps): StageFn {
  const ops = s.ops.map((op) => ({
    dst: op.dst,
    src: op.template ? undefined : op.value,
    tmpl: op.template ? deps.compileTemplate(op.value) : undefined,
  }));
  return (tsNs, line, labels) => {
    let data: TemplateData | undefined;
    for (const o of ops) {
      if (o.tmpl === undefined) {
        const v = labels.get(o.src!);
        if (v === undefined) continue;
        if (o.src !== o.dst) labels.delete(o.src!);
        labels.set(o.dst, v);
        continue;
      }
      data ??= { labels: labels.toRecord(), line, tsNs };
      try {
        labels.set(o.dst, o.tmpl(data));
      } catch (err) {
        labels.setError(PipelineErrorCode.templateFormat, (err as Error).message);
      }
    }
    return line;
  };
}

function compileSelection(items: readonly LabelSelection[]): (name: string, value: string) => boolean {
  const names = new Set<string>();
  const matchers: Matcher[] = [];
  for (const it of items) {
    if ("name" in it) names.add(it.name);
    else matchers.push(new Matcher(it.matcher.op, it.matcher.name, it.matcher.value));
  }
  return (name, value) => names.has(name) || matchers.some((m) => m.name === name && m.matches(value));
}
