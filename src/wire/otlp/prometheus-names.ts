/**
 * OTLP metric, unit and attribute names turned into Prometheus metric and label names, following the
 * OpenTelemetry "Prometheus and OpenMetrics Compatibility" specification as Prometheus's OTLP receiver
 * implements it (the `otlptranslator` module: `MetricNamer`, `UnitNamer`, `LabelNamer`).
 *
 * Every builder returns `""` when the result would not be a usable name (empty, or nothing but
 * underscores); the caller drops what it was naming and says so.
 */

/**
 * How names are translated, with Prometheus's `otlp.translation_strategy` values:
 * - `UnderscoreEscapingWithSuffixes` (Prometheus's default): characters outside the legacy charset
 *   become `_`, runs of `_` collapse, and unit and type suffixes (`_seconds`, `_total`, `_ratio`) are added;
 * - `UnderscoreEscapingWithoutSuffixes`: the same escaping, no suffixes;
 * - `NoUTF8EscapingWithSuffixes`: names kept as sent (UTF-8), suffixes added;
 * - `NoTranslation`: names kept as sent, no suffixes.
 */
export type TranslationStrategy =
  | "UnderscoreEscapingWithSuffixes"
  | "UnderscoreEscapingWithoutSuffixes"
  | "NoUTF8EscapingWithSuffixes"
  | "NoTranslation";

/** The kinds of OTLP metric that naming distinguishes (`otlptranslator.MetricType`). */
export type OtlpMetricKind =
  | "gauge"
  | "monotonicCounter"
  | "nonMonotonicCounter"
  | "histogram"
  | "exponentialHistogram"
  | "summary"
  | "unknown";

/** Whether `strategy` escapes names to the legacy Prometheus charset. */
export function escapesNames(strategy: TranslationStrategy): boolean {
  return strategy === "UnderscoreEscapingWithSuffixes" || strategy === "UnderscoreEscapingWithoutSuffixes";
}

/** Whether `strategy` appends unit and type suffixes to metric names. */
export function addsSuffixes(strategy: TranslationStrategy): boolean {
  return strategy === "UnderscoreEscapingWithSuffixes" || strategy === "NoUTF8EscapingWithSuffixes";
}

// UCUM units to Prometheus unit words (https://ucum.org/ucum, Prometheus naming best practices).
const UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ["d", "days"],
  ["h", "hours"],
  ["min", "minutes"],
  ["s", "seconds"],
  ["ms", "milliseconds"],
  ["us", "microseconds"],
  ["ns", "nanoseconds"],
  ["By", "bytes"],
  ["KiBy", "kibibytes"],
  ["MiBy", "mebibytes"],
  ["GiBy", "gibibytes"],
  ["TiBy", "tibibytes"], // sic: the spelling Prometheus has always produced
  ["KBy", "kilobytes"],
  ["MBy", "megabytes"],
  ["GBy", "gigabytes"],
  ["TBy", "terabytes"],
  ["m", "meters"],
  ["V", "volts"],
  ["A", "amperes"],
  ["J", "joules"],
  ["W", "watts"],
  ["g", "grams"],
  ["Cel", "celsius"],
  ["Hz", "hertz"],
  ["1", ""],
  ["%", "percent"],
]);

// The unit after a "/", in the singular: "By/s" is "bytes_per_second".
const PER_UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ["s", "second"],
  ["m", "minute"],
  ["h", "hour"],
  ["d", "day"],
  ["w", "week"],
  ["mo", "month"],
  ["y", "year"],
]);

/** Legacy metric name characters, less `_`: `[a-zA-Z0-9:]`. */
function isMetricChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58;
}

/** Legacy label name characters, less `_`: `[a-zA-Z0-9]`. */
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function underscoresOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 95) return false;
  return true;
}

/** Splits `s` at every code point outside `keep`, dropping empty pieces. */
function tokens(s: string, keep: (c: number) => boolean): string[] {
  const out: string[] = [];
  let cur = "";
  for (const ch of s) {
    if (keep(ch.codePointAt(0)!)) cur += ch;
    else if (cur !== "") {
      out.push(cur);
      cur = "";
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** Replaces code points outside `[a-zA-Z0-9:]` with `_`, collapses runs of `_`, drops a leading `_`. */
function cleanUpUnit(unit: string): string {
  let out = "";
  for (const ch of unit) {
    const c = ch.codePointAt(0)!;
    if (isMetricChar(c)) out += ch;
    else if (!out.endsWith("_")) out += "_";
  }
  return out.startsWith("_") ? out.slice(1) : out;
}

/**
 * The unit words of a UCUM unit, before any escaping: `"By/s"` gives `["bytes", "per_second"]`.
 * Annotations such as `{request}` contribute nothing; `"1"` contributes nothing.
 */
function unitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf("/");
  const mainUnit = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  let main = "";
  if (mainUnit !== "" && !/[{}]/.test(mainUnit)) main = UNIT_WORDS.get(mainUnit) ?? mainUnit;
  let per = "";
  if (slash >= 0) {
    const perUnit = unit.slice(slash + 1).trim();
    if (perUnit !== "" && !/[{}]/.test(perUnit)) per = `per_${PER_UNIT_WORDS.get(perUnit) ?? perUnit}`;
  }
  return [main, per];
}

/**
 * The Prometheus unit of a UCUM unit, always in the legacy charset, for metadata (`UNIT`):
 * `"s"` → `"seconds"`, `"By/s"` → `"bytes_per_second"`, `"1"` and `"{packet}"` → `""`.
 */
export function buildUnitName(unit: string): string {
  const [main, per] = unitSuffixes(unit);
  const m = cleanUpUnit(main);
  const p = cleanUpUnit(per);
  let u = m !== "" && p !== "" ? `${m}_${p}` : m !== "" ? m : p;
  if (u.startsWith("_")) u = u.slice(1);
  if (u.endsWith("_")) u = u.slice(0, -1);
  return u;
}

/**
 * The Prometheus metric family name of an OTLP metric. With suffixes, the unit words come first, then
 * `_total` for monotonic counters and `_ratio` for gauges of unit `"1"`, each added only once. With
 * escaping, a name starting with a digit gets a leading `_`. Returns `""` when nothing usable is left.
 */
export function buildMetricName(
  name: string,
  unit: string,
  kind: OtlpMetricKind,
  strategy: TranslationStrategy,
): string {
  let out: string;
  if (!escapesNames(strategy)) out = addsSuffixes(strategy) ? utf8NameWithSuffixes(name, unit, kind) : name;
  else if (addsSuffixes(strategy)) out = escapedNameWithSuffixes(name, unit, kind);
  else {
    // Escaping only: `_` is kept as it is, every other invalid code point separates words.
    out = tokens(name, (c) => isMetricChar(c) || c === 95).join("_");
    if (isDigit(out.charCodeAt(0))) out = `_${out}`;
  }
  if (out === "" || (out !== name && underscoresOnly(out))) return "";
  return out;
}

function escapedNameWithSuffixes(name: string, unit: string, kind: OtlpMetricKind): string {
  // Splitting at `_` too collapses runs of `_` and drops leading and trailing ones.
  let words = tokens(name, isMetricChar);
  const [main, per] = unitSuffixes(unit);
  let m = cleanUpUnit(main);
  let p = cleanUpUnit(per);
  if (words.includes(m)) m = "";
  if (p === "per_") p = "";
  else {
    if (p.endsWith("_")) p = p.slice(0, -1);
    if (words.includes(p)) p = "";
  }
  if (p !== "" && m.endsWith("_")) m = m.slice(0, -1);
  if (m !== "") words.push(m);
  if (p !== "") words.push(p);
  if (kind === "monotonicCounter") words = [...words.filter((w) => w !== "total"), "total"];
  if (unit === "1" && kind === "gauge") words = [...words.filter((w) => w !== "ratio"), "ratio"];
  const out = words.join("_");
  return isDigit(out.charCodeAt(0)) ? `_${out}` : out;
}

/** Removes `suffix` and the one delimiter before it, when something is left. */
function trimSuffixAndDelimiter(name: string, suffix: string): string {
  return name.endsWith(suffix) && name.length > suffix.length + 1
    ? name.slice(0, name.length - suffix.length - 1)
    : name;
}

function utf8NameWithSuffixes(name: string, unit: string, kind: OtlpMetricKind): string {
  const ratio = unit === "1" && kind === "gauge";
  const total = kind === "monotonicCounter";
  let out = name;
  if (ratio) out = trimSuffixAndDelimiter(out, "ratio");
  if (total) out = trimSuffixAndDelimiter(out, "total");
  const [main, per] = unitSuffixes(unit);
  if (per !== "") out = trimSuffixAndDelimiter(out, per);
  if (main !== "" && !out.endsWith(main)) out = `${out}_${main}`;
  if (per !== "") out = `${out}_${per}`;
  if (total) out = `${out}_total`;
  if (ratio) out = `${out}_ratio`;
  return out;
}

/**
 * The Prometheus label name of an attribute key. Escaping replaces each code point outside
 * `[a-zA-Z0-9]` with `_` and collapses runs of `_`, keeps the `__` of a `__reserved__` name, and
 * prefixes `key_` to a name starting with a digit; `"http.request.method"` → `"http_request_method"`.
 * Without escaping the key is kept. Returns `""` for an empty key or one that is (or escapes to)
 * nothing but underscores.
 */
export function buildLabelName(key: string, strategy: TranslationStrategy): string {
  if (key === "") return "";
  if (!escapesNames(strategy)) return underscoresOnly(key) ? "" : key;
  const reserved = key.length >= 4 && key.startsWith("__") && key.endsWith("__");
  const inner = reserved ? key.slice(2, -2) : key;
  let out = "";
  let underscore = false;
  for (const ch of inner) {
    if (isLabelChar(ch.codePointAt(0)!)) {
      out += ch;
      underscore = false;
    } else if (!underscore) {
      out += "_";
      underscore = true;
    }
  }
  if (reserved) out = `__${out}__`;
  if (isDigit(out.charCodeAt(0))) out = `key_${out}`;
  return underscoresOnly(out) ? "" : out;
}
