/**
 * JSON extraction for `| json a="x.y[0]"` and `| unpack` (plain `| json` uses the scanner of
 * `json-scan.ts`). Lines are decoded with `JSON.parse`, so numbers picked by an expression are
 * rendered back by JavaScript (`1.50` becomes `1.5`); Loki keeps their original text.
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
 * The value at `path` as a label value: strings as they are, other scalars as text, objects and
 * arrays as compact JSON; undefined when the path leads nowhere.
 */
export function jsonPathValue(obj: JsonValue, path: readonly JsonPathStep[]): string | undefined {
  let v: JsonValue | undefined = obj;
  for (const step of path) {
    if (v === null || typeof v !== "object") return undefined;
    if (typeof step === "number") v = Array.isArray(v) ? v[step] : undefined;
    else v = Array.isArray(v) ? undefined : Object.hasOwn(v, step) ? v[step] : undefined;
    if (v === undefined) return undefined;
  }
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
