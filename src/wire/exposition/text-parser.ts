/**
 * Parser for the Prometheus text exposition format 0.0.4 and the OpenMetrics 1.0 text format, the
 * subset that scrape targets emit: `# HELP`, `# TYPE`, `# UNIT`, `# EOF`, samples with labels,
 * optional timestamps, and (ignored) OpenMetrics exemplars. UTF-8 metric and label names in quotes
 * (`{"my.metric", "my.label"="v"}`) are accepted in both formats.
 *
 * The text is scanned by index, one line at a time, without regular expressions.
 */
import { Labels, METRIC_NAME } from "../../model/labels.js";
import type { ExposedSample, Exposition, MetricMetadata, MetricType } from "../../model/sample.js";
import { WireError } from "../errors.js";

/** Which of the two text formats to expect. */
export interface TextExpositionOptions {
  /**
   * `true` for OpenMetrics 1.0 (`application/openmetrics-text`): `# EOF` is required, timestamps are
   * float seconds, exemplars may follow a sample. `false` for the text format 0.0.4 (`text/plain`):
   * timestamps are integer milliseconds.
   */
  readonly openMetrics: boolean;
}

/**
 * Parses one exposition. Samples come back in the order of the text, each with its full label set
 * (with `__name__`, empty label values dropped) and a Unix ms timestamp when the line had one.
 * Metadata comes back once per family that had a HELP, TYPE or UNIT line, in order of first mention,
 * with text-format `untyped` reported as `unknown`. Histogram and summary series keep their own names
 * (`foo_bucket`, `foo_sum`, `foo_count`), and so do OpenMetrics counters (`foo_total`, `foo_created`);
 * the metadata stays under the family name (`foo`).
 *
 * Throws {@link WireError} `parse`, naming the line and what was expected, at the first malformed line.
 * Strings in the result may share memory with `text` (V8 slices), which keeps `text` alive as long as
 * they live; copy what is kept for long.
 */
export function parseTextExposition(text: string, opts: TextExpositionOptions): Exposition {
  const samples: ExposedSample[] = [];
  const collect: ExpositionVisitor = {
    sample(_series, value, timestamp, parsed) {
      const labels = parsed.labels();
      samples.push(Number.isNaN(timestamp) ? { labels, value } : { labels, value, timestamp });
    },
  };
  const metadata = new TextParser(text, opts.openMetrics, collect, true).parse();
  return { samples, metadata };
}

/**
 * The label set of the sample being visited, parsed on demand: a caller that caches per raw series
 * text (as Prometheus's scrape cache does) only pays for label parsing on a cache miss.
 */
export interface SeriesLabels {
  /**
   * Parses and returns the current sample's label set (with `__name__`, sorted, empty values
   * dropped). Valid only during the {@link ExpositionVisitor.sample} call it was passed to; throws
   * {@link WireError} `parse`, naming the line, when the label set is malformed.
   */
  labels(): Labels;
}

/** Receives the samples of an exposition in order, as {@link visitTextExposition} reads them. */
export interface ExpositionVisitor {
  /**
   * One sample line. `series` is the text of its name and label set exactly as written (everything
   * before the value): equal texts always parse to equal label sets, so it can key a cache of parsed
   * (and relabelled) label sets. It may share memory with the body; copy it before keeping it long.
   * `timestamp` is Unix ms, or `NaN` when the line had none. The label set has not been checked yet:
   * `parsed.labels()` parses it and throws if it is malformed, so a caller must call it for every
   * `series` it has not seen parse before.
   */
  sample(series: string, value: number, timestamp: number, parsed: SeriesLabels): void;
}

/**
 * Parses one exposition like {@link parseTextExposition} (the same lines are accepted and refused),
 * handing each sample to `visitor` instead of building a list. HELP, TYPE and UNIT lines are checked
 * but their metadata is not kept. Errors thrown by the visitor propagate unchanged.
 *
 * Built for scraping the same target again and again: a text-format sample line is read from its
 * end (value and timestamp cannot contain `}`, quotes or blanks), so its series text is sliced
 * without walking the label set, and its label set is parsed only when the visitor asks.
 */
export function visitTextExposition(
  text: string,
  opts: TextExpositionOptions,
  visitor: ExpositionVisitor,
): void {
  new TextParser(text, opts.openMetrics, visitor, false).parse();
}

// Character codes.
const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const COLON = 58;
const EQUALS = 61;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const LBRACE = 123;
const RBRACE = 125;

const OPENMETRICS_TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["gaugehistogram", "gaugehistogram"],
  ["summary", "summary"],
  ["info", "info"],
  ["stateset", "stateset"],
  ["unknown", "unknown"],
]);

// The text format's five types, plus the OpenMetrics names, which some exporters send as text/plain.
const TEXT_TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ...OPENMETRICS_TYPES,
  ["untyped", "unknown"],
]);

interface MutableMetadata {
  name: string;
  type: MetricType;
  help: string;
  unit: string;
}

class TextParser implements SeriesLabels {
  readonly #text: string;
  readonly #om: boolean;
  readonly #visitor: ExpositionVisitor;
  /** Parse each label set before the value (error order of a full parse) rather than on demand. */
  readonly #eager: boolean;
  readonly #metadata = new Map<string, MutableMetadata>();
  #line = 0;
  #lineBegin = 0;
  // The last quoted string read by #quoted().
  #str = "";
  // The current sample's series text [#seriesStart, #seriesEnd), and its label set once parsed.
  #seriesStart = 0;
  #seriesEnd = 0;
  #seriesLine = 0;
  #parsed: Labels | undefined;
  // Positions of the next space, tab and "{" at or after the line being read (text length: none).
  #nextSpace = -1;
  #nextTab = -1;
  #nextBrace = -1;

  constructor(text: string, openMetrics: boolean, visitor: ExpositionVisitor, eager: boolean) {
    this.#text = text;
    this.#om = openMetrics;
    this.#visitor = visitor;
    this.#eager = eager;
  }

  /** Whether metadata is collected (a full parse); a visiting parse only checks comment lines. */
  get #keepMetadata(): boolean {
    return this.#eager;
  }

  parse(): MetricMetadata[] {
    const text = this.#text;
    const len = text.length;
    let pos = 0;
    let sawEof = false;
    while (pos < len) {
      this.#line++;
      this.#lineBegin = pos;
      let eol = text.indexOf("\n", pos);
      if (eol < 0) eol = len;
      const end = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
      if (sawEof) {
        if (skipBlanks(text, pos, end) !== end) this.#fail('nothing may follow "# EOF"');
      } else {
        sawEof = this.#parseLine(pos, end);
      }
      pos = eol + 1;
    }
    if (this.#om && !sawEof) {
      this.#fail('expected "# EOF" as the last line of an OpenMetrics exposition (truncated body?)');
    }
    return [...this.#metadata.values()];
  }

  /** Parses the line `[start, end)`; returns whether it was an OpenMetrics `# EOF`. */
  #parseLine(start: number, end: number): boolean {
    const i = skipBlanks(this.#text, start, end);
    if (i === end) return false;
    if (this.#text.charCodeAt(i) === HASH) return this.#parseComment(i + 1, end);
    if (this.#eager || this.#om || !this.#visitFromEnd(i, end)) this.#parseSample(i, end);
    return false;
  }

  /** Parses what follows a `#`: HELP, TYPE, UNIT, EOF, or a plain comment (ignored). */
  #parseComment(start: number, end: number): boolean {
    const text = this.#text;
    if (!this.#keepMetadata && this.#commentNeedsNothing(start, end)) return false;
    const kwStart = skipBlanks(text, start, end);
    let i = kwStart;
    while (i < end && isUpper(text.charCodeAt(i))) i++;
    if (i < end && !isBlank(text.charCodeAt(i))) return false;
    const keyword = keywordAt(text, kwStart, i);
    if (keyword === "EOF" && this.#om) {
      if (skipBlanks(text, i, end) !== end) this.#fail('expected end of line after "# EOF"');
      return true;
    }
    if (keyword !== "HELP" && keyword !== "TYPE" && !(keyword === "UNIT" && this.#om)) return false;

    i = skipBlanks(text, i, end);
    const nameStart = i;
    i = this.#metricNameToken(i, end, keyword);
    if (i < end && !isBlank(text.charCodeAt(i))) {
      this.#fail(`expected a blank after the metric name in "# ${keyword}", found ${describe(text, i, end)}`);
    }
    if (keyword === "HELP") {
      if (!this.#keepMetadata) return false;
      // OpenMetrics separates name and help by exactly one space; the text format by any blanks.
      i = this.#om ? Math.min(i + 1, end) : skipBlanks(text, i, end);
      this.#metadataFor(this.#str).help = unescapeHelp(text, i, end, this.#om);
      return false;
    }
    // A plain name was only checked, not sliced, when no metadata is kept.
    const nameStop = i;
    i = skipBlanks(text, i, end);
    const wordStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    if (keyword === "TYPE" && !this.#keepMetadata && i === end && isKnownType(text, wordStart, i, this.#om)) {
      return false;
    }
    const word = text.slice(wordStart, i);
    if (skipBlanks(text, i, end) !== end) {
      this.#fail(
        `expected end of line after "# ${keyword} ${this.#nameText(nameStart, nameStop)} ${word}", found ${describe(text, i, end)}`,
      );
    }
    if (keyword === "UNIT") {
      if (this.#keepMetadata) this.#metadataFor(this.#nameText(nameStart, nameStop)).unit = word;
      return false;
    }
    const type = (this.#om ? OPENMETRICS_TYPES : TEXT_TYPES).get(word);
    if (type === undefined) {
      const allowed = [...(this.#om ? OPENMETRICS_TYPES : TEXT_TYPES).keys()].join(", ");
      this.#fail(
        word === ""
          ? `expected a metric type after "# TYPE ${this.#nameText(nameStart, nameStop)}" (one of ${allowed})`
          : `unknown metric type "${word}" (expected one of ${allowed})`,
      );
    }
    if (this.#keepMetadata) this.#metadataFor(this.#nameText(nameStart, nameStop)).type = type;
    return false;
  }

  /**
   * Whether the comment after `#` at `[start, end)` is `␠HELP␠<plain name>[␠…]` or
   * `␠TYPE␠<plain name>␠<known type>` — what nearly every exposition writes — which a parse that
   * keeps no metadata accepts without reading further. Anything else (other spacing, quoted names,
   * other keywords, errors) goes through the full comment parse; this only takes a shortcut to the
   * same result (the visiting property tests hold both to the full parse).
   */
  #commentNeedsNothing(start: number, end: number): boolean {
    const text = this.#text;
    const k = start + 1;
    if (text.charCodeAt(start) !== SPACE || text.charCodeAt(k + 4) !== SPACE || k + 5 >= end) return false;
    const keyword = keywordAt(text, k, k + 4);
    if (keyword !== "HELP" && keyword !== "TYPE") return false;
    const n0 = k + 5;
    if (!isNameStart(text.charCodeAt(n0))) return false;
    const n1 = nameEnd(text, n0 + 1, end, true);
    if (keyword === "HELP") return n1 === end || isBlank(text.charCodeAt(n1));
    return n1 + 1 < end && text.charCodeAt(n1) === SPACE && isKnownType(text, n1 + 1, end, this.#om);
  }

  /** The metric name of a comment line at `[start, stop)`: `#str`, or the plain name's text. */
  #nameText(start: number, stop: number): string {
    return this.#str !== "" ? this.#str : this.#text.slice(start, stop);
  }

  #metadataFor(name: string): MutableMetadata {
    let md = this.#metadata.get(name);
    if (md === undefined) {
      md = { name, type: "unknown", help: "", unit: "" };
      this.#metadata.set(name, md);
    }
    return md;
  }

  /**
   * Visits the text-format sample line `[start, end)` read from its end: the last one or two tokens
   * are the value and timestamp, and what precedes them (a `}` or a blank) ends the series text.
   * Returns `false`, having visited nothing, for any line it cannot take this way (the forward
   * parse then reads it and names what is wrong); when it returns `true` the forward parse would have
   * visited the same series text, value and timestamp.
   */
  #visitFromEnd(start: number, end: number): boolean {
    const text = this.#text;
    let e1 = end;
    while (e1 > start && isBlank(text.charCodeAt(e1 - 1))) e1--;
    const b1 = tokenStart(text, start, e1);
    if (b1 === e1 || b1 === start || text.charCodeAt(b1 - 1) === QUOTE) return false;
    // [b1, e1) is the value, unless the token before it is.
    let seriesEnd: number;
    let valueStart = b1;
    let valueEnd = e1;
    let timestamp = Number.NaN;
    if (text.charCodeAt(b1 - 1) === RBRACE) {
      seriesEnd = b1;
    } else {
      let e2 = b1;
      while (e2 > start && isBlank(text.charCodeAt(e2 - 1))) e2--;
      if (text.charCodeAt(e2 - 1) === RBRACE || this.#plainToken(start, e2)) {
        // `name{…} value` or `name value`.
        seriesEnd = e2;
      } else {
        // `series value timestamp`: the series ends in "}" or is a plain name.
        const b2 = tokenStart(text, start, e2);
        if (b2 === start) return false;
        let e3 = b2;
        while (e3 > start && isBlank(text.charCodeAt(e3 - 1))) e3--;
        if (text.charCodeAt(b2 - 1) === RBRACE) seriesEnd = b2;
        else if (text.charCodeAt(e3 - 1) === RBRACE || this.#plainToken(start, e3)) seriesEnd = e3;
        else return false;
        const ts = parseIntegerAt(text, b1, e1);
        if (ts === undefined) return false;
        timestamp = ts;
        valueStart = b2;
        valueEnd = e2;
      }
    }
    const value = parseValueAt(text, valueStart, valueEnd);
    if (value === undefined) return false;
    this.#seriesStart = start;
    this.#seriesEnd = seriesEnd;
    this.#seriesLine = this.#line;
    this.#parsed = undefined;
    this.#visitor.sample(text.slice(start, seriesEnd), value, timestamp, this);
    return true;
  }

  /**
   * Whether `text[start, end)` holds no blank and no `{`: a plain metric name, or something its
   * label parse will refuse. The next space, tab and `{` are searched natively and remembered, as
   * lines are read in order: the whole text is searched about once.
   */
  #plainToken(start: number, end: number): boolean {
    const text = this.#text;
    if (this.#nextSpace < start) this.#nextSpace = indexOrEnd(text, " ", start);
    if (this.#nextSpace < end) return false;
    if (this.#nextTab < start) this.#nextTab = indexOrEnd(text, "\t", start);
    if (this.#nextTab < end) return false;
    if (this.#nextBrace < start) this.#nextBrace = indexOrEnd(text, "{", start);
    return this.#nextBrace >= end;
  }

  /** Parses `name{labels} value [timestamp] [# exemplar]` on `[start, end)`. */
  #parseSample(start: number, end: number): void {
    const text = this.#text;
    let i = this.#scanSeries(start, end);
    this.#seriesStart = start;
    this.#seriesEnd = i;
    this.#seriesLine = this.#line;
    this.#parsed = undefined;
    if (this.#eager) this.labels();
    const braces = text.charCodeAt(i - 1) === RBRACE;

    // Value: after a blank, which may be left out after "}".
    if (i < end && !braces && !isBlank(text.charCodeAt(i))) {
      this.#fail(
        `expected "{" or a blank after metric name "${text.slice(start, i)}", found ${describe(text, i, end)}`,
      );
    }
    i = skipBlanks(text, i, end);
    if (i === end) this.#fail(`expected a value after "${this.#nameForError()}"`);
    let tokStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    const value = parseValue(text.slice(tokStart, i));
    if (value === undefined) this.#fail(`expected a number as value, found "${text.slice(tokStart, i)}"`);

    // Optional timestamp, then (OpenMetrics only) an optional exemplar after "#", which is ignored.
    let timestamp = Number.NaN;
    i = skipBlanks(text, i, end);
    if (i < end && !(this.#om && text.charCodeAt(i) === HASH)) {
      tokStart = i;
      while (i < end && !isBlank(text.charCodeAt(i))) i++;
      const tok = text.slice(tokStart, i);
      const ts = this.#om ? parseSecondsAsMs(tok) : parseIntegerMs(tok);
      if (ts === undefined) {
        this.#fail(
          this.#om
            ? `expected a timestamp in seconds or "#", found "${tok}"`
            : `expected an integer timestamp in milliseconds, found "${tok}"`,
        );
      }
      timestamp = ts;
      i = skipBlanks(text, i, end);
      if (i < end && !(this.#om && text.charCodeAt(i) === HASH)) {
        this.#fail(`expected end of line after the timestamp, found ${describe(text, i, end)}`);
      }
    }
    this.#visitor.sample(text.slice(start, this.#seriesEnd), value, timestamp, this);
  }

  /**
   * The end of the series text (metric name and label set) starting at `start`, found by a quick scan
   * that only skips quoted strings; the label set itself is checked by {@link labels}. When the scan
   * finds no closing brace, the full parse runs now to report the precise error.
   */
  #scanSeries(start: number, end: number): number {
    const text = this.#text;
    let i = start;
    const c = text.charCodeAt(i);
    if (c !== LBRACE) {
      if (!isNameStart(c)) this.#fail(`expected a metric name or "{", found ${describe(text, i, end)}`);
      i = nameEnd(text, i + 1, end, true);
    }
    if (i >= end || text.charCodeAt(i) !== LBRACE) return i;
    const brace = i;
    for (i++; i < end; i++) {
      const ch = text.charCodeAt(i);
      if (ch === RBRACE) return i + 1;
      if (ch !== QUOTE) continue;
      for (i++; i < end; i++) {
        const q = text.charCodeAt(i);
        if (q === BACKSLASH) i++;
        else if (q === QUOTE) break;
      }
    }
    // No closing brace: the full parse names what is wrong.
    this.#labelSet(brace, end, []);
    return this.#fail('expected "}" to close the label set');
  }

  /** The metric name of the current sample for an error message, without parsing its labels. */
  #nameForError(): string {
    return this.#parsed?.get(METRIC_NAME) ?? this.#text.slice(this.#seriesStart, this.#seriesEnd);
  }

  labels(): Labels {
    if (this.#parsed !== undefined) return this.#parsed;
    if (this.#seriesLine !== this.#line) throw new Error("SeriesLabels.labels() called after its sample");
    const text = this.#text;
    const start = this.#seriesStart;
    const end = this.#seriesEnd;
    const pairs: string[] = [];
    let i = start;
    const c = text.charCodeAt(i);
    if (c !== LBRACE) {
      if (!isNameStart(c)) this.#fail(`expected a metric name or "{", found ${describe(text, i, end)}`);
      i = nameEnd(text, i + 1, end, true);
      pairs.push(METRIC_NAME, text.slice(start, i));
      if (i < end && text.charCodeAt(i) !== LBRACE) {
        this.#fail(
          `expected "{" or a blank after metric name "${text.slice(start, i)}", found ${describe(text, i, end)}`,
        );
      }
    }
    if (i < end) i = this.#labelSet(i, end, pairs);
    if (i !== end) this.#fail(`expected a blank after the label set, found ${describe(text, i, end)}`);
    if (pairs.length === 0 || pairs[0] !== METRIC_NAME) {
      this.#fail("expected a metric name before or inside the braces");
    }
    if (pairs[1] === "") this.#fail("empty metric name");
    this.#parsed = this.#labels(pairs);
    return this.#parsed;
  }

  /**
   * Parses `{name="value", …}` starting at the `{` at `start`, appending to `pairs`; a lone quoted
   * string is the metric name. Returns the position after the `}`.
   */
  #labelSet(start: number, end: number, pairs: string[]): number {
    const text = this.#text;
    let i = start + 1;
    for (;;) {
      i = skipBlanks(text, i, end);
      if (i >= end) this.#fail('expected a label name or "}", found end of line');
      let c = text.charCodeAt(i);
      if (c === RBRACE) return i + 1;
      let name: string;
      if (c === QUOTE) {
        i = this.#quoted(i, end);
        name = this.#str;
        i = skipBlanks(text, i, end);
        c = text.charCodeAt(i);
        if (i < end && (c === COMMA || c === RBRACE)) {
          // {"my.metric", …}: the metric name.
          if (pairs.length > 0 && pairs[0] === METRIC_NAME) this.#fail(`metric name given twice ("${name}")`);
          if (name === "") this.#fail("empty metric name");
          pairs.unshift(METRIC_NAME, name);
          if (c === COMMA) i++;
          continue;
        }
      } else {
        const nameStart = i;
        if (!isNameStart(c) || c === COLON) {
          this.#fail(`expected a label name or "}", found ${describe(text, i, end)}`);
        }
        i = nameEnd(text, i + 1, end, false);
        name = text.slice(nameStart, i);
        i = skipBlanks(text, i, end);
      }
      if (name === "") this.#fail("empty label name");
      if (i >= end || text.charCodeAt(i) !== EQUALS) {
        this.#fail(`expected "=" after label name "${name}", found ${describe(text, i, end)}`);
      }
      i = skipBlanks(text, i + 1, end);
      if (i >= end || text.charCodeAt(i) !== QUOTE) {
        this.#fail(`expected a quoted value for label "${name}", found ${describe(text, i, end)}`);
      }
      i = this.#quoted(i, end);
      if (name === METRIC_NAME && pairs.length > 0 && pairs[0] === METRIC_NAME) {
        this.#fail(`metric name given twice ("${this.#str}")`);
      }
      if (name === METRIC_NAME) pairs.unshift(name, this.#str);
      else pairs.push(name, this.#str);
      i = skipBlanks(text, i, end);
      c = text.charCodeAt(i);
      if (i < end && c === COMMA) i++;
      else if (i >= end || c !== RBRACE) {
        this.#fail(`expected "," or "}" after the value of label "${name}", found ${describe(text, i, end)}`);
      }
    }
  }

  /**
   * Reads the metric name, plain or quoted, of a `# keyword` line at `start`; stores it in `#str`
   * (a plain name only when metadata is kept) and returns the position after it.
   */
  #metricNameToken(start: number, end: number, keyword: string): number {
    const text = this.#text;
    if (start < end && text.charCodeAt(start) === QUOTE) {
      const i = this.#quoted(start, end);
      if (this.#str === "") this.#fail(`expected metric name after "# ${keyword}", found ""`);
      return i;
    }
    let i = start;
    if (i >= end || !isNameStart(text.charCodeAt(i)))
      this.#fail(`expected metric name after "# ${keyword}", found ${describe(text, i, end)}`);
    i = nameEnd(text, i + 1, end, true);
    this.#str = this.#keepMetadata ? text.slice(start, i) : "";
    return i;
  }

  /**
   * Reads the double-quoted string whose opening quote is at `start`, undoing the escapes `\\`, `\"`
   * and `\n` (any other backslash is kept as written). Stores it in `#str`; returns the position after
   * the closing quote.
   */
  #quoted(start: number, end: number): number {
    const text = this.#text;
    let i = start + 1;
    let segment = i;
    let out = "";
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.#str = segment === start + 1 ? text.slice(segment, i) : out + text.slice(segment, i);
        return i + 1;
      }
      if (c === BACKSLASH) {
        if (i + 1 >= end) break;
        const next = text.charCodeAt(i + 1);
        if (next === BACKSLASH || next === QUOTE || next === 110 /* n */) {
          out += text.slice(segment, i) + (next === 110 ? "\n" : String.fromCharCode(next));
          i += 2;
          segment = i;
          continue;
        }
      }
      i++;
    }
    return this.#fail(`unterminated quoted string starting at column ${start - this.#lineBegin + 1}`);
  }

  /**
   * The label set of `pairs` (`__name__` first, then as written), which it may reorder; repeated label
   * names are an error.
   */
  #labels(pairs: string[]): Labels {
    const n = pairs.length;
    if (n > 64) {
      // Many labels: sort in O(n log n), and find repeats with a set.
      const seen = new Set<string>();
      for (let k = 0; k < n; k += 2) {
        const name = pairs[k]!;
        if (seen.has(name)) this.#fail(`label "${name}" appears twice`);
        seen.add(name);
      }
      return Labels.fromPairs(pairs);
    }
    // Few labels, usually written sorted already: an insertion sort in place costs one comparison per
    // label then, and finds repeated names on the way.
    let empty = false;
    for (let k = 0; k < n; k += 2) {
      const name = pairs[k]!;
      const value = pairs[k + 1]!;
      if (value === "") empty = true;
      let j = k - 2;
      while (j >= 0 && pairs[j]! > name) {
        pairs[j + 2] = pairs[j]!;
        pairs[j + 3] = pairs[j + 1]!;
        j -= 2;
      }
      if (j >= 0 && pairs[j] === name) this.#fail(`label "${name}" appears twice`);
      pairs[j + 2] = name;
      pairs[j + 3] = value;
    }
    if (!empty) return Labels.fromSortedPairsUnsafe(pairs);
    // An empty value means "no such label".
    const kept: string[] = [];
    for (let k = 0; k < n; k += 2) if (pairs[k + 1] !== "") kept.push(pairs[k]!, pairs[k + 1]!);
    return Labels.fromSortedPairsUnsafe(kept);
  }

  #fail(what: string): never {
    const format = this.#om ? "OpenMetrics" : "text exposition";
    throw new WireError("parse", `${format} line ${this.#line}: ${what}`);
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function skipBlanks(text: string, i: number, end: number): number {
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** `[a-zA-Z_:]`: the first character of a metric name (label names exclude `:`). */
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === UNDERSCORE || c === COLON;
}

/**
 * The comment keyword `text[start, end)` as a constant (`""` for any other word), compared
 * character by character: no substring, and no `startsWith` call per candidate.
 */
function keywordAt(text: string, start: number, end: number): string {
  const n = end - start;
  const c0 = text.charCodeAt(start);
  const c1 = text.charCodeAt(start + 1);
  const c2 = text.charCodeAt(start + 2);
  if (n === 3) return c0 === 69 && c1 === 79 && c2 === 70 ? "EOF" : "";
  if (n !== 4) return "";
  const c3 = text.charCodeAt(start + 3);
  if (c0 === 72 && c1 === 69 && c2 === 76 && c3 === 80) return "HELP";
  if (c0 === 84 && c1 === 89 && c2 === 80 && c3 === 69) return "TYPE";
  if (c0 === 85 && c1 === 78 && c2 === 73 && c3 === 84) return "UNIT";
  return "";
}

/**
 * Whether `text[start, end)` names a type of the format (as {@link OPENMETRICS_TYPES} or
 * {@link TEXT_TYPES} would find it), compared in place.
 */
function isKnownType(text: string, start: number, end: number, om: boolean): boolean {
  const n = end - start;
  switch (text.charCodeAt(start)) {
    case 99: // c
      return n === 7 && text.startsWith("counter", start);
    case 103: // g
      return (
        (n === 5 && text.startsWith("gauge", start)) || (n === 14 && text.startsWith("gaugehistogram", start))
      );
    case 104: // h
      return n === 9 && text.startsWith("histogram", start);
    case 115: // s
      return (
        (n === 7 && text.startsWith("summary", start)) || (n === 8 && text.startsWith("stateset", start))
      );
    case 117: // u
      return (
        (n === 7 && text.startsWith("unknown", start)) ||
        (!om && n === 7 && text.startsWith("untyped", start))
      );
    case 105: // i
      return n === 4 && text.startsWith("info", start);
    default:
      return false;
  }
}

/** Name characters by code: 1 for `[a-zA-Z0-9_]`, 2 for `:` (metric names only), 0 otherwise. */
const NAME_CHARS = (() => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  t[UNDERSCORE] = 1;
  t[COLON] = 2;
  return t;
})();

/** The end of the run of name characters from `i` (with `:` when `colon`), at most `end`. */
function nameEnd(text: string, i: number, end: number, colon: boolean): number {
  const stop = colon ? 0 : 2;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c >= 128) break;
    const k = NAME_CHARS[c]!;
    if (k === 0 || k === stop) break;
    i++;
  }
  return i;
}

/** The first index of `what` in `text` from `from`, or the text's length when there is none. */
function indexOrEnd(text: string, what: string, from: number): number {
  const i = text.indexOf(what, from);
  return i < 0 ? text.length : i;
}

/** The start of the token ending at `end`: it stops after a blank, a `}` or a `"`, or at `start`. */
function tokenStart(text: string, start: number, end: number): number {
  let i = end;
  while (i > start) {
    const c = text.charCodeAt(i - 1);
    if (c === SPACE || c === TAB || c === RBRACE || c === QUOTE) break;
    i--;
  }
  return i;
}

/** Powers of ten that are exact doubles, for {@link parseValueAt}. */
const EXACT_POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * {@link parseValue} of `text[start, end)`. Plain decimals with at most 15 digits are computed
 * without a substring: their digits as an integer and the power of ten are exact doubles, so one
 * division rounds correctly (as `Number` does); anything else goes through `parseValue`.
 */
function parseValueAt(text: string, start: number, end: number): number | undefined {
  let i = start;
  const first = text.charCodeAt(i);
  const negative = first === 45;
  if (negative || first === 43) i++;
  let m = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) {
      fraction = 0;
    } else {
      break;
    }
  }
  if (i < end || digits === 0 || digits > 15) return parseValue(text.slice(start, end));
  const v = fraction > 0 ? m / EXACT_POW10[fraction]! : m;
  return negative ? -v : v;
}

/** {@link parseIntegerMs} of `text[start, end)`, without a substring when it has at most 15 digits. */
function parseIntegerAt(text: string, start: number, end: number): number | undefined {
  let i = start;
  const first = text.charCodeAt(i);
  const negative = first === 45;
  if (negative || first === 43) i++;
  if (i === end || end - i > 15) return parseIntegerMs(text.slice(start, end));
  let v = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return negative && v !== 0 ? -v : v;
}

/** A human description of the character at `i` for error messages. */
function describe(text: string, i: number, end: number): string {
  if (i >= end) return "end of line";
  const c = text.codePointAt(i)!;
  return c < SPACE || c === 127
    ? `character U+${c.toString(16).padStart(4, "0")}`
    : `"${String.fromCodePoint(c)}"`;
}

/**
 * A sample value: a decimal or exponent float, or (any case) `NaN`, `Inf`, `Infinity` with an optional
 * sign. `undefined` when `tok` is none of these.
 */
function parseValue(tok: string): number | undefined {
  if (isDecimal(tok)) {
    const v = Number(tok);
    return Number.isNaN(v) ? undefined : v;
  }
  switch (tok.toLowerCase()) {
    case "nan":
      return Number.NaN;
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/** Whether `tok` holds only `[0-9.eE+-]` and at least one digit, the characters of a finite float. */
function isDecimal(tok: string): boolean {
  let digit = false;
  for (let k = 0; k < tok.length; k++) {
    const c = tok.charCodeAt(k);
    if (c >= 48 && c <= 57) digit = true;
    else if (c !== 46 && c !== 101 && c !== 69 && c !== 43 && c !== 45) return false;
  }
  return digit;
}

/** A text-format timestamp: an optionally signed integer of milliseconds, within ±(2^53 - 1). */
function parseIntegerMs(tok: string): number | undefined {
  const first = tok.charCodeAt(0);
  let k = first === 45 || first === 43 ? 1 : 0;
  if (k === tok.length) return undefined;
  for (; k < tok.length; k++) {
    const c = tok.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
  }
  const v = Number(tok);
  return Number.isSafeInteger(v) ? (v === 0 ? 0 : v) : undefined;
}

/**
 * An OpenMetrics timestamp: float seconds, rounded to whole milliseconds. Exact for decimal seconds
 * with at most three fractional digits within about ±2^43 ms (the year 2248).
 */
function parseSecondsAsMs(tok: string): number | undefined {
  if (!isDecimal(tok)) return undefined;
  const s = Number(tok);
  if (!Number.isFinite(s)) return undefined;
  const ms = Math.round(s * 1000);
  if (!Number.isSafeInteger(ms)) return undefined;
  return ms === 0 ? 0 : ms;
}

/**
 * A HELP docstring from `[start, end)`, undoing `\\` and `\n` (and `\"` in OpenMetrics); other
 * backslashes are kept as written.
 */
function unescapeHelp(text: string, start: number, end: number, om: boolean): string {
  let first = start;
  while (first < end && text.charCodeAt(first) !== BACKSLASH) first++;
  if (first >= end) return text.slice(start, end);
  let out = "";
  let segment = start;
  for (let i = first; i < end - 1; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const next = text.charCodeAt(i + 1);
    if (next === BACKSLASH || next === 110 /* n */ || (om && next === QUOTE)) {
      out += text.slice(segment, i) + (next === 110 ? "\n" : String.fromCharCode(next));
      i++;
      segment = i + 1;
    }
  }
  return out + text.slice(segment, end);
}
