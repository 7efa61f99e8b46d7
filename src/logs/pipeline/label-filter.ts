import { Matcher } from "../../model/matcher.js";
import type { CompareOp, LabelFilter } from "../logql/index.js";
import { parseBytes, parseGoDurationSeconds } from "../logql/index.js";
import { compileIPPattern } from "./ip.js";
import { type LineLabels, PipelineErrorCode } from "./line-labels.js";

/** A compiled label filter: whether the line's labels pass; may set `__error__`. */
export type LabelPredicate = (labels: LineLabels) => boolean;

/**
 * Compiles a label filter expression as Loki evaluates it: string matchers see `""` for an absent
 * label; numeric, duration, bytes and `ip()` filters fail on an absent label, pass (without
 * comparing) once the line has an error, and on a value they cannot convert set
 * `__error__="LabelFilterErr"` and keep the line; `and` and `or` short-circuit left to right.
 */
export function compileLabelFilter(f: LabelFilter): LabelPredicate {
  switch (f.kind) {
    case "matcher": {
      const m = new Matcher(f.matcher.op, f.matcher.name, f.matcher.value);
      const name = f.matcher.name;
      return (labels) => m.matches(labels.get(name) ?? "");
    }
    case "ip": {
      const ip = compileIPPattern(f.value);
      const { name } = f;
      const want = f.op === "=";
      return (labels) => {
        // As the numeric filters: once the line has an error, only string matchers filter it out.
        if (labels.error !== undefined) return true;
        const v = labels.get(name);
        if (v === undefined) return false;
        return ip.matchesText(v) === want;
      };
    }
    case "number":
      return comparison(f.name, f.op, f.value, parseGoFloat);
    case "duration":
      return comparison(f.name, f.op, f.value, parseDurationValue);
    case "bytes":
      return comparison(f.name, f.op, f.value, parseBytesValue);
    case "and": {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (labels) => l(labels) && r(labels);
    }
    case "or": {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (labels) => l(labels) || r(labels);
    }
  }
}

function comparison(
  name: string,
  op: CompareOp,
  want: number,
  convert: (text: string) => number | string,
): LabelPredicate {
  const cmp = compare(op);
  return (labels) => {
    if (labels.error !== undefined) return true;
    const text = labels.get(name);
    if (text === undefined) return false;
    const v = convert(text);
    if (typeof v === "string") {
      labels.setError(PipelineErrorCode.labelFilter, v);
      return true;
    }
    return cmp(v, want);
  };
}

function compare(op: CompareOp): (a: number, b: number) => boolean {
  switch (op) {
    case "==":
      return (a, b) => a === b;
    case "!=":
      return (a, b) => a !== b;
    case ">":
      return (a, b) => a > b;
    case ">=":
      return (a, b) => a >= b;
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
  }
}

const FLOAT = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9A-Fa-f]+)$/;

/** A float as Go's `strconv.ParseFloat` reads the common forms; an error message otherwise. */
export function parseGoFloat(text: string): number | string {
  if (FLOAT.test(text)) {
    const neg = text[0] === "-";
    const body = text[0] === "-" || text[0] === "+" ? text.slice(1) : text;
    const v = /^0[xX]/.test(body) ? Number.parseInt(body.slice(2), 16) : Number(body);
    return neg ? -v : v;
  }
  const special = text.toLowerCase();
  if (special === "nan") return Number.NaN;
  if (special === "inf" || special === "+inf" || special === "infinity" || special === "+infinity")
    return Number.POSITIVE_INFINITY;
  if (special === "-inf" || special === "-infinity") return Number.NEGATIVE_INFINITY;
  return `strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`;
}

/** A Go duration (`1.5s`, `-2m`, `0`) in seconds; an error message otherwise. */
export function parseDurationValue(text: string): number | string {
  if (text === "0" || text === "+0" || text === "-0") return 0;
  const neg = text[0] === "-";
  const body = text[0] === "-" || text[0] === "+" ? text.slice(1) : text;
  const v = parseGoDurationSeconds(body);
  if (v === undefined) return `time: invalid duration ${JSON.stringify(text)}`;
  return neg ? -v : v;
}

/** A byte size (`20MB`, `1.5 KiB`, `300`) in bytes; an error message otherwise. */
export function parseBytesValue(text: string): number | string {
  const t = text.replace(/\s+/g, "");
  if (/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(t)) return Number(t);
  try {
    return parseBytes(t);
  } catch {
    return `invalid bytes ${JSON.stringify(text)}`;
  }
}
