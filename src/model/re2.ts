/**
 * Translates the RE2 syntax of Prometheus and Loki regular expressions into an equivalent
 * JavaScript `RegExp` source for the `u` flag. JavaScript on Node 20 lacks inline flag groups, so
 * `(?i)` and `(?i:…)` are rewritten: letters inside a case-insensitive scope become two-case
 * classes (`a` → `[aA]`). Also handled: `(?s)` (already on: `.` matches newline everywhere, as
 * Prometheus anchors with `(?s:…)`), `(?P<name>…)`, `\A`, `\z`, `\Q…\E`, POSIX classes such as
 * `[[:alpha:]]`, `\pL`, and RE2's escapes of any punctuation. Throws {@link RE2Error} for what
 * cannot be translated (the `m` and `U` flags), so a query fails loudly instead of matching wrongly.
 */
export function translateRE2(pattern: string): string {
  return new Translator(pattern).run();
}

/** A pattern that could not be translated; the message says which construct. */
export class RE2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RE2Error";
  }
}

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Characters that must stay escaped in a `u`-mode pattern outside a class. */
const SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);
/** Characters that must stay escaped inside a `u`-mode class. */
const CLASS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/-"]);

class Translator {
  #i = 0;
  #out = "";
  /** Case-insensitivity of each open group; the last entry is the current scope. */
  readonly #fold: boolean[] = [false];

  constructor(private readonly src: string) {}

  run(): string {
    while (this.#i < this.src.length) this.#step();
    if (this.#fold.length !== 1) throw new RE2Error("missing closing )");
    return this.#out;
  }

  get #ci(): boolean {
    return this.#fold[this.#fold.length - 1]!;
  }

  #step(): void {
    const c = this.src[this.#i]!;
    switch (c) {
      case "\\":
        this.#escape(false);
        break;
      case "[":
        this.#class();
        break;
      case "(":
        this.#open();
        break;
      case ")":
        if (this.#fold.length === 1) throw new RE2Error("unexpected )");
        this.#fold.pop();
        this.#out += ")";
        this.#i++;
        break;
      case "{":
        this.#brace();
        break;
      case "}":
      case "]":
        // Literal in RE2 when not closing anything; u-mode JavaScript wants them escaped.
        this.#out += `\\${c}`;
        this.#i++;
        break;
      default:
        this.#out += this.#ci ? fold(c) : c;
        this.#i++;
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` is a repetition; any other `{` is a literal brace. */
  #brace(): void {
    const rep = /^\{\d+(,\d*)?\}/.exec(this.src.slice(this.#i));
    if (rep) {
      this.#out += rep[0];
      this.#i += rep[0].length;
    } else {
      this.#out += "\\{";
      this.#i++;
    }
  }

  #open(): void {
    const rest = this.src.slice(this.#i);
    const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
    if (named) {
      this.#out += `(?<${named[1]}>`;
      this.#fold.push(this.#ci);
      this.#i += named[0].length;
      return;
    }
    const flags = /^\(\?([a-zA-Z-]*)(:|\))/.exec(rest);
    if (!flags) {
      this.#out += "(";
      this.#fold.push(this.#ci);
      this.#i++;
      return;
    }
    const ci = this.#applyFlags(flags[1]!);
    this.#i += flags[0].length;
    if (flags[2] === ":") {
      this.#out += "(?:";
      this.#fold.push(ci);
    } else {
      // `(?i)` changes the rest of the enclosing group.
      this.#fold[this.#fold.length - 1] = ci;
    }
  }

  #applyFlags(spec: string): boolean {
    let ci = this.#ci;
    let on = true;
    for (const f of spec) {
      if (f === "-") on = false;
      else if (f === "i") ci = on;
      else if (f === "s") {
        if (!on) throw new RE2Error("the flag -s (dot does not match newline) is not supported");
      } else throw new RE2Error(`the regular expression flag ${JSON.stringify(f)} is not supported`);
    }
    return ci;
  }

  /** An escape outside (inClass=false) or inside a class; appends its translation. */
  #escape(inClass: boolean): void {
    const next = this.src[this.#i + 1];
    if (next === undefined) throw new RE2Error("trailing backslash");
    this.#i += 2;
    if (!inClass && next === "A") {
      this.#out += "^";
      return;
    }
    if (!inClass && next === "z") {
      this.#out += "$";
      return;
    }
    if (next === "Q") {
      const end = this.src.indexOf("\\E", this.#i);
      const literal = this.src.slice(this.#i, end < 0 ? undefined : end);
      this.#i = end < 0 ? this.src.length : end + 2;
      for (const ch of literal) this.#out += inClass ? classLiteral(ch) : this.#literal(ch);
      return;
    }
    if (next === "p" || next === "P") {
      let name: string;
      if (this.src[this.#i] === "{") {
        const close = this.src.indexOf("}", this.#i);
        if (close < 0) throw new RE2Error("missing } in \\p{…}");
        name = this.src.slice(this.#i + 1, close);
        this.#i = close + 1;
      } else {
        name = this.src[this.#i] ?? "";
        this.#i++;
      }
      const negated = name.startsWith("^");
      const bare = negated ? name.slice(1) : name;
      const property = /^[A-Z][a-z]?$/.test(bare) ? bare : `Script=${bare}`;
      this.#out += `\\${(next === "P") !== negated ? "P" : "p"}{${property}}`;
      return;
    }
    if (/[A-Za-z0-9]/.test(next)) {
      // Class shorthands (\d \w \s \b …), octal-free digits and control escapes mean the same in JS.
      this.#out += `\\${next}`;
      return;
    }
    // RE2 lets any punctuation be escaped; u-mode JavaScript only the syntax characters.
    this.#out += inClass ? classLiteral(next) : this.#literal(next);
  }

  #literal(ch: string): string {
    if (SYNTAX.has(ch)) return `\\${ch}`;
    return this.#ci ? fold(ch) : ch;
  }

  #class(): void {
    this.#i++;
    let body = "";
    if (this.src[this.#i] === "^") {
      body += "^";
      this.#i++;
    }
    // A ] right after [ or [^ is a literal, as in RE2.
    if (this.src[this.#i] === "]") {
      body += "\\]";
      this.#i++;
    }
    while (this.#i < this.src.length && this.src[this.#i] !== "]") {
      const rest = this.src.slice(this.#i);
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
      if (posix) {
        const set = POSIX[posix[2]!];
        if (set === undefined) throw new RE2Error(`unknown POSIX class [:${posix[2]}:]`);
        if (posix[1]) throw new RE2Error(`negated POSIX class [:^${posix[2]}:] is not supported`);
        body += set;
        this.#i += posix[0].length;
        continue;
      }
      if (rest[0] === "\\") {
        const saved = this.#out;
        this.#out = "";
        this.#escape(true);
        body += this.#out;
        this.#out = saved;
        continue;
      }
      const range = /^([^\\\]])-([^\\\]])/u.exec(rest);
      if (range) {
        body += `${classLiteral(range[1]!)}-${classLiteral(range[2]!)}`;
        if (this.#ci) body += foldRange(range[1]!, range[2]!);
        this.#i += range[0].length;
        continue;
      }
      const ch = String.fromCodePoint(rest.codePointAt(0)!);
      body += classLiteral(ch);
      if (this.#ci) body += otherCase(ch);
      this.#i += ch.length;
    }
    if (this.src[this.#i] !== "]") throw new RE2Error("missing closing ]");
    this.#i++;
    this.#out += `[${body}]`;
  }
}

function classLiteral(ch: string): string {
  return CLASS_SYNTAX.has(ch) ? `\\${ch}` : ch;
}

function otherCase(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  if (lower === upper) return "";
  return ch === lower ? (upper.length === 1 ? upper : "") : lower.length === 1 ? lower : "";
}

function fold(ch: string): string {
  const other = otherCase(ch);
  return other === "" ? ch : `[${ch}${other}]`;
}

/** The other-case counterpart of the ASCII letters within a range (as extra class items). */
function foldRange(from: string, to: string): string {
  const lo = from.codePointAt(0)!;
  const hi = to.codePointAt(0)!;
  let extra = "";
  const add = (a: number, b: number, shift: number) => {
    const s = Math.max(lo, a);
    const e = Math.min(hi, b);
    if (s <= e) extra += `${String.fromCharCode(s + shift)}-${String.fromCharCode(e + shift)}`;
  };
  add(0x41, 0x5a, 32); // A-Z → a-z
  add(0x61, 0x7a, -32); // a-z → A-Z
  return extra;
}
