/**
 * JSON extraction for `| json a="x.y[0]"` and `| unpack` (plain `| json` uses the scanner of
 * `json-scan.ts`). Lines are validated with `JSON.parse`; an expression's value is then read from the
 * line's text, so numbers, objects and arrays keep their text as written (`1.50` stays `1.50`, a
 * 20-digit id keeps every digit), as Loki keeps them.
 */

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Decodes a line that must hold a JSON object; an error message otherwise. Never throws. */
export function decodeJsonObject(line: string): Record<string, JsonValue> | string {
  let start = 0;
  while (start < line.length && line.charCodeAt(start) <= 32) start++;
  if (line[start] !== "{") return "expected a JSON object starting with {";
  try {
    const v = JSON.parse(line) as JsonValue;
    return v as Record<string, JsonValue>;
  } catch (err) {
    return (err as Error).message;
  }
}

/** One step of a JSON path expression: an object key or an array index. */
export type JsonPathStep = string | number;

/**
 * Parses a `json` parameter expression: `a.b`, `a[0].b`, `a["key with.dots"]`, `["x"]`. Throws for
 * a malformed one.
 */
export function parseJsonPath(expr: string): JsonPathStep[] {
  const steps: JsonPathStep[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`invalid JSON expression ${JSON.stringify(expr)}: ${why}`);
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === "[") {
      const close = expr.indexOf("]", i);
      if (close < 0) fail("missing ]");
      const inner = expr.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) steps.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) steps.push(JSON.parse(inner) as string);
      else fail(`bad subscript [${inner}]`);
      i = close + 1;
    } else if (c === ".") {
      if (i === 0 || i + 1 >= expr.length || expr[i + 1] === "." || expr[i + 1] === "[") fail("misplaced .");
      i++;
    } else {
      const m = /^[^.[\]]+/.exec(expr.slice(i))!;
      steps.push(m[0]);
      i += m[0].length;
    }
  }
  if (steps.length === 0) fail("empty");
  return steps;
}

/**
 * The value at `path` in `text` (a line {@link decodeJsonObject} accepted) as a label value: strings
 * decoded, `null` as `""`, numbers, booleans, objects and arrays as their text in the line; undefined
 * when the path leads nowhere. With a repeated key the first one is followed.
 */
export function jsonPathValue(text: string, path: readonly JsonPathStep[]): string | undefined {
  let i = skipWs(text, 0);
  for (const step of path) {
    i = typeof step === "number" ? arrayElement(text, i, step) : objectMember(text, i, step);
    if (i < 0) return undefined;
  }
  const end = skipValue(text, i);
  const c = text.charCodeAt(i);
  if (c === QUOTE) return JSON.parse(text.slice(i, end)) as string;
  if (c === 0x6e /* n */) return "";
  return text.slice(i, end);
}

const QUOTE = 0x22;

/** Start of element `index` of the array at `i`, or -1. */
function arrayElement(text: string, i: number, index: number): number {
  if (text.charCodeAt(i) !== 0x5b /* [ */) return -1;
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 0x5d /* ] */) return -1;
  for (let k = 0; k < index; k++) {
    i = skipWs(text, skipValue(text, i));
    if (text.charCodeAt(i) !== 0x2c /* , */) return -1;
    i = skipWs(text, i + 1);
  }
  return i;
}

/** Start of the value of member `key` of the object at `i`, or -1. */
function objectMember(text: string, i: number, key: string): number {
  if (text.charCodeAt(i) !== 0x7b /* { */) return -1;
  i = skipWs(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const k = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, skipWs(text, keyEnd) + 1); // past ':'
    if (k === key) return i;
    i = skipWs(text, skipValue(text, i));
    if (text.charCodeAt(i) !== 0x2c /* , */) return -1;
    i = skipWs(text, i + 1);
  }
  return -1;
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** End (exclusive) of the string starting with the quote at `i`. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    j += c === 0x5c /* \ */ ? 2 : 1;
  }
}

/** End (exclusive) of the value starting at `i` (valid JSON). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    for (;;) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
  }
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (Number.isNaN(d) || d === 0x2c || d === 0x5d || d === 0x7d || d <= 0x20) return j;
    j++;
  }
}
