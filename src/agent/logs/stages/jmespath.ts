/**
 * The subset of JMESPath that Promtail's `json` stage is used with: field names (`level`), nested
 * fields (`a.b`), quoted identifiers (`"a.b"`, `a."x-y"`), index expressions (`a[0]`, `a[-1]`,
 * `[0]`) and chains of those. Anything else (filters, projections, functions, pipes) is rejected at
 * compile time so a configuration never silently extracts nothing.
 */

/** One step: an object key or an array index (negative counts from the end). */
export type PathStep = string | number;

/** Parses `expr`; throws an Error naming the position and the supported forms. */
export function parseJMESPath(expr: string): PathStep[] {
  const steps: PathStep[] = [];
  let i = 0;
  const n = expr.length;
  const fail = (why: string): never => {
    throw new Error(
      `invalid JMESPath expression ${JSON.stringify(expr)} at position ${i}: ${why} (supported: field, a.b, "quoted.name", a[0], a[-1])`,
    );
  };
  let needField = true;
  while (i < n) {
    const c = expr[i]!;
    if (c === "[") {
      const close = expr.indexOf("]", i);
      if (close < 0) fail("missing ]");
      const inner = expr.slice(i + 1, close).trim();
      if (!/^-?\d+$/.test(inner)) fail(`only numeric indexes are supported, found [${inner}]`);
      steps.push(Number(inner));
      i = close + 1;
      needField = false;
    } else if (c === ".") {
      if (needField) fail("misplaced .");
      i++;
      needField = true;
      if (i >= n) fail("expression ends with .");
    } else if (!needField) {
      fail(`unexpected ${JSON.stringify(c)}`);
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && expr[j] !== '"') j += expr[j] === "\\" ? 2 : 1;
      if (j >= n) fail("unterminated quoted identifier");
      steps.push(JSON.parse(expr.slice(i, j + 1)) as string);
      i = j + 1;
      needField = false;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i));
      if (m === null) fail(`unexpected ${JSON.stringify(c)}; quote names with other characters: "my-field"`);
      steps.push(m![0]);
      i += m![0].length;
      needField = false;
    }
  }
  if (steps.length === 0) fail("empty expression");
  return steps;
}

/** Follows `path` in a parsed JSON value; undefined when it leads nowhere. */
export function evalPath(root: unknown, path: readonly PathStep[]): unknown {
  let v = root;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(v)) return undefined;
      v = v[step < 0 ? v.length + step : step];
    } else {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      v = Object.hasOwn(v, step) ? (v as Record<string, unknown>)[step] : undefined;
    }
    if (v === undefined) return undefined;
  }
  return v;
}
