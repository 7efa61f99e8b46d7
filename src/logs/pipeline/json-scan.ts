/**
 * A single-pass scanner for `| json` without parameters: walks a JSON object and reports each scalar
 * with its nested key path joined by `_`, without building the object. Numbers keep their text as
 * written (`1.50` stays `1.50`, large integers keep every digit), as Loki keeps them; arrays and nulls
 * are skipped. Rejects what `JSON.parse` rejects except raw control characters inside strings (the
 * property tests compare the two).
 */

/** Receives a flattened key (not yet sanitised) and its value as text. */
export type JsonVisitor = (key: string, value: string) => void;

/** Scans `line`, which must be one JSON object; returns an error message, or undefined when valid. */
export function scanJsonObject(line: string, visit: JsonVisitor): string | undefined {
  const s = new Scanner(line, visit);
  try {
    s.ws();
    if (s.peek() !== 0x7b) return s.fail("expected a JSON object starting with {");
    s.object("", true);
    s.ws();
    if (s.i !== line.length) return s.fail("unexpected data after the JSON object");
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.message;
    throw err;
  }
}

class JsonSyntaxError extends Error {}

class Scanner {
  i = 0;
  depth = 0;
  constructor(
    readonly src: string,
    readonly visit: JsonVisitor,
  ) {}

  fail(why: string): never {
    throw new JsonSyntaxError(`${why} at offset ${this.i}`);
  }

  peek(): number {
    return this.src.charCodeAt(this.i);
  }

  ws(): void {
    const s = this.src;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** At `{`; `prefix` is the key path so far ("" at the top); scalars are reported when `report`. */
  object(prefix: string, report: boolean): void {
    if (++this.depth > 512) this.fail("JSON nested too deeply");
    this.i++;
    this.ws();
    if (this.peek() === 0x7d) {
      this.i++;
      this.depth--;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) this.fail("expected a string key");
      const k = this.string();
      this.ws();
      if (this.peek() !== 0x3a) this.fail("expected :");
      this.i++;
      this.ws();
      this.value(prefix === "" ? k : `${prefix}_${k}`, report);
      this.ws();
      const c = this.peek();
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x7d) break;
      this.i--;
      this.fail("expected , or }");
    }
    this.depth--;
  }

  /** A value under `key`; reported when `report` (false inside arrays). */
  value(key: string, report: boolean): void {
    const c = this.peek();
    if (c === 0x22) {
      const v = this.string();
      if (report) this.visit(key, v);
    } else if (c === 0x7b) {
      this.object(key, report);
    } else if (c === 0x5b) this.array();
    else if (c === 0x74) this.word("true", key, report);
    else if (c === 0x66) this.word("false", key, report);
    else if (c === 0x6e) this.word("null", key, false);
    else {
      const v = this.number();
      if (report) this.visit(key, v);
    }
  }

  array(): void {
    if (++this.depth > 512) this.fail("JSON nested too deeply");
    this.i++;
    this.ws();
    if (this.peek() === 0x5d) {
      this.i++;
      this.depth--;
      return;
    }
    for (;;) {
      this.ws();
      this.value("", false);
      this.ws();
      const c = this.peek();
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x5d) break;
      this.i--;
      this.fail("expected , or ]");
    }
    this.depth--;
  }

  word(w: string, key: string, report: boolean): void {
    if (!this.src.startsWith(w, this.i)) this.fail("invalid literal");
    this.i += w.length;
    if (report) this.visit(key, w);
  }

  /** A number as written, checked against JSON's grammar. */
  number(): string {
    const s = this.src;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const intStart = i;
    while (isDigit(s.charCodeAt(i))) i++;
    const intLen = i - intStart;
    if (intLen === 0 || (intLen > 1 && s.charCodeAt(intStart) === 0x30)) this.fail("invalid value");
    if (s.charCodeAt(i) === 0x2e) {
      i++;
      const f = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === f) this.fail("invalid number");
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      const f = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === f) this.fail("invalid number");
    }
    this.i = i;
    return s.slice(start, i);
  }

  /**
   * At `"`; returns the decoded string. Control characters inside a string are accepted (as Loki's
   * parser accepts them; `JSON.parse` refuses them).
   */
  string(): string {
    const s = this.src;
    const start = ++this.i;
    const end = s.indexOf('"', start);
    if (end < 0) this.fail("unterminated string");
    const bs = s.indexOf("\\", start);
    if (bs < 0 || bs > end) {
      this.i = end + 1;
      return s.slice(start, end);
    }
    let i = bs;
    // Slow path: escapes.
    let out = s.slice(start, i);
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out;
      }
      if (Number.isNaN(c)) {
        this.i = i;
        this.fail("unterminated string");
      }
      if (c !== 0x5c) {
        out += s[i];
        i++;
        continue;
      }
      const e = s[i + 1];
      if (e === "u") {
        const hex = s.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          this.i = i;
          this.fail("invalid \\u escape");
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
        continue;
      }
      const r = e === undefined ? undefined : ESCAPES[e];
      if (r === undefined) {
        this.i = i;
        this.fail("invalid escape");
      }
      out += r;
      i += 2;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
