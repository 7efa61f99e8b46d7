import { Labels } from "../../model/labels.js";

/** The label Loki sets when a stage fails on a line; `| __error__=""` drops such lines. */
export const ERROR_LABEL = "__error__";
/** The label that carries the failing stage's message next to {@link ERROR_LABEL}. */
export const ERROR_DETAILS_LABEL = "__error_details__";
/** Suffix of a parsed label whose name is already a stream label (Loki's rule). */
export const EXTRACTED_SUFFIX = "_extracted";

/** Error codes set in `__error__`, spelt as Loki spells them. */
export const PipelineErrorCode = {
  json: "JSONParserErr",
  logfmt: "LogfmtParserErr",
  labelFilter: "LabelFilterErr",
  templateFormat: "TemplateFormatErr",
} as const;

/**
 * The labels of one log line while it goes through a pipeline: the stream's labels, the entry's
 * structured metadata and the labels stages extract or set. Mutable and owned by whoever created it;
 * a pipeline changes it in place. A label present with an empty value (`logfmt --keep-empty`) is
 * kept until {@link LineLabels.toLabels}, which drops it as Prometheus label sets do; a matcher on an
 * absent label sees the empty string.
 */
export class LineLabels {
  readonly #stream: Labels;
  readonly #metadata: Readonly<Record<string, string>> | undefined;
  /** The current labels; built on the first change, until then the stream labels and metadata are read directly. */
  #values: Map<string, string> | undefined;

  /** Starts from the stream labels plus the entry's structured metadata (metadata wins a clash). */
  constructor(stream: Labels, metadata?: Readonly<Record<string, string>>) {
    this.#stream = stream;
    this.#metadata = metadata;
  }

  #map(): Map<string, string> {
    if (this.#values !== undefined) return this.#values;
    const m = new Map<string, string>();
    const p = this.#stream.pairs;
    for (let i = 0; i < p.length; i += 2) m.set(p[i]!, p[i + 1]!);
    const md = this.#metadata;
    if (md !== undefined) for (const n of Object.keys(md)) m.set(n, md[n]!);
    this.#values = m;
    return m;
  }

  /** Whether `name` is a label of the stream (even if a stage dropped it since). */
  #isStream(name: string): boolean {
    const p = this.#stream.pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === name) return true;
    return false;
  }

  /** The stream labels this set started from (unchanged by stages). */
  get stream(): Labels {
    return this.#stream;
  }

  /** The current value of `name`, or `undefined` when absent. */
  get(name: string): string | undefined {
    if (this.#values !== undefined) return this.#values.get(name);
    const md = this.#metadata?.[name];
    if (md !== undefined && Object.hasOwn(this.#metadata!, name)) return md;
    const v = this.#stream.get(name);
    return v === "" ? undefined : v;
  }

  /** Whether `name` is currently present (possibly with an empty value). */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Sets `name` as is (label_format, pipeline bookkeeping). */
  set(name: string, value: string): void {
    this.#map().set(name, value);
  }

  /**
   * Sets a label extracted by a parser: a name that is a stream label gets the `_extracted` suffix so
   * the stream label is kept, as Loki does.
   */
  setExtracted(name: string, value: string): void {
    this.#map().set(this.#isStream(name) ? name + EXTRACTED_SUFFIX : name, value);
  }

  /** Removes `name`. */
  delete(name: string): void {
    this.#map().delete(name);
  }

  /** The error code set by a stage, if any. */
  get error(): string | undefined {
    return this.#values?.get(ERROR_LABEL);
  }

  /** Records a stage failure; the first error of a line is kept. */
  setError(code: string, details: string): void {
    const m = this.#map();
    if (m.has(ERROR_LABEL)) return;
    m.set(ERROR_LABEL, code);
    if (details !== "") m.set(ERROR_DETAILS_LABEL, details);
  }

  /** Current names, in insertion order (stream labels first). */
  names(): IterableIterator<string> {
    return this.#map().keys();
  }

  /** Current labels as a plain record (empty values included), e.g. for templates. */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.#map());
  }

  /** The current labels as an immutable, sorted label set without empty values. */
  toLabels(): Labels {
    if (this.#values === undefined && this.#metadata === undefined) return this.#stream;
    const flat: string[] = [];
    for (const [n, v] of this.#map()) flat.push(n, v);
    return Labels.fromPairs(flat);
  }
}

/**
 * Turns a field name into a valid label name as Loki does: characters outside `[A-Za-z0-9_]` become
 * `_`, and a leading digit gets a `_` prefix. Returns `""` for an empty name.
 */
export function sanitizeLabelName(name: string): string {
  if (isLabelName(name)) return name;
  if (name === "") return "";
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Whether `name` matches `[A-Za-z_][A-Za-z0-9_]*` (a loop: this runs for every parsed field). */
export function isLabelName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
    if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
  }
  return true;
}
