import type { Arg, Command, Node, Pipe } from "./ast.js";
import { TemplateError } from "./errors.js";
import { lex, type Token } from "./lexer.js";
import type { Value } from "./value.js";

/**
 * Parses Go text/template source into nodes. `isFunc` says which identifiers name functions;
 * others are a parse error, as in Go. Throws {@link TemplateError} with the offending position.
 */
export function parse(src: string, isFunc: (name: string) => boolean): Node[] {
  return new Parser(src, lex(src), isFunc).run();
}

type Stop = "end" | "else" | "eof";

/** How deep parentheses and blocks may nest. */
const MAX_DEPTH = 100;

class Parser {
  #i = 0;
  readonly #vars: string[] = ["$"];
  #rangeDepth = 0;
  #depth = 0;

  constructor(
    private readonly src: string,
    private readonly toks: Token[],
    private readonly isFunc: (name: string) => boolean,
  ) {}

  run(): Node[] {
    const { list, stop } = this.#list();
    if (stop.kind !== "eof") throw this.#err(stop.tok, `unexpected {{${stop.kind}}}`);
    return list;
  }

  #err(t: Token, msg: string): TemplateError {
    return TemplateError.at(this.src, t.pos, msg);
  }

  #peek(k = 0): Token {
    return this.toks[Math.min(this.#i + k, this.toks.length - 1)]!;
  }

  #next(): Token {
    const t = this.#peek();
    if (this.#i < this.toks.length - 1) this.#i++;
    return t;
  }

  #expect(kind: Token["kind"], ctx: string): Token {
    const t = this.#next();
    if (t.kind !== kind) throw this.#err(t, `unexpected ${describe(t)} in ${ctx}`);
    return t;
  }

  /** Parses nodes until `{{end}}`, `{{else}}` or end of input; the stop's tokens are consumed up to the keyword. */
  #list(): { list: Node[]; stop: { kind: Stop; tok: Token } } {
    const list: Node[] = [];
    for (;;) {
      const t = this.#next();
      if (t.kind === "eof") return { list, stop: { kind: "eof", tok: t } };
      if (t.kind === "text") {
        list.push({ kind: "text", text: t.value });
        continue;
      }
      // t is "open"
      const k = this.#peek();
      if (k.kind === "keyword") {
        this.#next();
        switch (k.value) {
          case "end":
            this.#expect("close", "end");
            return { list, stop: { kind: "end", tok: k } };
          case "else":
            return { list, stop: { kind: "else", tok: k } };
          case "if":
          case "with":
          case "range":
            list.push(this.#control(k.value, k));
            continue;
          case "break":
          case "continue":
            if (this.#rangeDepth === 0) throw this.#err(k, `{{${k.value}}} outside {{range}}`);
            this.#expect("close", k.value);
            list.push({ kind: k.value, pos: k.pos });
            continue;
          default:
            throw this.#err(k, `{{${k.value}}} is not supported`);
        }
      }
      const pipe = this.#pipeline("command", true, false);
      list.push({ kind: "action", pipe });
    }
  }

  /** Guards the recursion of nested parentheses and blocks: user text must not overflow the stack. */
  #enter(t: Token): void {
    if (++this.#depth > MAX_DEPTH) throw this.#err(t, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  #control(kind: "if" | "with" | "range", kwTok: Token): Node {
    this.#enter(kwTok);
    try {
      return this.#controlBody(kind, kwTok);
    } finally {
      this.#depth--;
    }
  }

  #controlBody(kind: "if" | "with" | "range", kwTok: Token): Node {
    const mark = this.#vars.length;
    const pipe = this.#pipeline(kind, true, kind === "range");
    if (kind === "range") this.#rangeDepth++;
    const body = this.#list();
    if (kind === "range") this.#rangeDepth--;
    let elseList: Node[] = [];
    if (body.stop.kind === "eof") throw this.#err(kwTok, `unexpected EOF in {{${kind}}}`);
    if (body.stop.kind === "else") {
      const n = this.#peek();
      if (
        (kind === "if" && n.kind === "keyword" && n.value === "if") ||
        (kind === "with" && n.kind === "keyword" && n.value === "with")
      ) {
        // `{{else if …}}` is `{{else}}{{if …}}…{{end}}` sharing this construct's {{end}}.
        this.#next();
        this.#vars.length = mark;
        elseList = [this.#control(kind, n)];
        this.#vars.length = mark;
        return { kind, pipe, list: body.list, elseList };
      }
      this.#expect("close", "else");
      const rest = this.#list();
      if (rest.stop.kind !== "end")
        throw this.#err(
          rest.stop.tok,
          `expected end; found ${rest.stop.kind === "eof" ? "EOF" : "{{else}}"}`,
        );
      elseList = rest.list;
    }
    this.#vars.length = mark;
    return { kind, pipe, list: body.list, elseList };
  }

  #pipeline(ctx: string, allowDecl: boolean, allowTwo: boolean): Pipe {
    const start = this.#peek();
    let decl: string[] = [];
    let assign = false;
    if (allowDecl && start.kind === "var") {
      const n1 = this.#peek(1);
      const n2 = this.#peek(2);
      const n3 = this.#peek(3);
      if (n1.kind === "declare" || n1.kind === "assign") {
        decl = [start.value];
        assign = n1.kind === "assign";
        this.#i += 2;
      } else if (
        allowTwo &&
        n1.kind === "comma" &&
        n2.kind === "var" &&
        (n3.kind === "declare" || n3.kind === "assign")
      ) {
        decl = [start.value, n2.value];
        assign = n3.kind === "assign";
        this.#i += 4;
      }
      if (assign) {
        for (const v of decl)
          if (!this.#vars.includes(v)) throw this.#err(start, `undefined variable "${v}"`);
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.kind === "close" || t.kind === "rparen") {
        if (cmds.length === 0) throw this.#err(t, `missing value for ${ctx}`);
        if (t.kind === "close") this.#next();
        break;
      }
      if (t.kind === "pipe") {
        if (cmds.length === 0) throw this.#err(t, `missing value for ${ctx}`);
        this.#next();
        const n = this.#peek();
        if (n.kind === "close" || n.kind === "rparen" || n.kind === "pipe")
          throw this.#err(n, "missing command after |");
      }
      cmds.push(this.#command());
    }
    for (let i = 1; i < cmds.length; i++) {
      const first = cmds[i]!.args[0]!;
      if (
        first.kind === "lit" ||
        first.kind === "nil" ||
        first.kind === "dot" ||
        first.kind === "pipe" ||
        (first.kind === "var" && first.names.length === 0)
      ) {
        throw TemplateError.at(this.src, first.pos, `non executable command in pipeline stage ${i + 1}`);
      }
    }
    if (!assign) this.#vars.push(...decl);
    return { decl, assign, cmds, pos: start.pos };
  }

  #command(): Command {
    const args: Arg[] = [];
    const pos = this.#peek().pos;
    for (;;) {
      const t = this.#peek();
      if (t.kind === "close" || t.kind === "rparen" || t.kind === "pipe") break;
      if (args.length > 0) {
        const prev = this.toks[this.#i - 1]!;
        if (prev.end === t.pos && t.kind !== "lparen")
          throw this.#err(t, `missing space before ${describe(t)}`);
      }
      args.push(this.#operand());
    }
    if (args.length === 0) throw this.#err(this.#peek(), "empty command");
    return { args, pos };
  }

  #operand(): Arg {
    let a = this.#term();
    const names: string[] = [];
    while (this.#peek().kind === "field" && this.#peek().pos === this.toks[this.#i - 1]!.end)
      names.push(this.#next().value);
    if (names.length > 0) {
      if (a.kind === "field") a = { kind: "field", names: [...a.names, ...names], pos: a.pos };
      else if (a.kind === "var") a = { kind: "var", name: a.name, names: [...a.names, ...names], pos: a.pos };
      else if (a.kind === "lit" || a.kind === "nil" || a.kind === "ident")
        throw TemplateError.at(this.src, a.pos, "unexpected . after term");
      else a = { kind: "chain", node: a, names, pos: a.pos };
    }
    return a;
  }

  #term(): Arg {
    const t = this.#next();
    switch (t.kind) {
      case "ident":
        if (!this.isFunc(t.value)) throw this.#err(t, `function "${t.value}" not defined`);
        return { kind: "ident", name: t.value, pos: t.pos };
      case "dot":
        return { kind: "dot", pos: t.pos };
      case "field":
        return { kind: "field", names: [t.value], pos: t.pos };
      case "var":
        if (!this.#vars.includes(t.value)) throw this.#err(t, `undefined variable "${t.value}"`);
        return { kind: "var", name: t.value, names: [], pos: t.pos };
      case "string":
        return { kind: "lit", value: t.value, pos: t.pos };
      case "bool":
        return { kind: "lit", value: t.value === "true", pos: t.pos };
      case "nil":
        return { kind: "nil", pos: t.pos };
      case "char":
        return { kind: "lit", value: BigInt(t.value), pos: t.pos };
      case "number":
        return { kind: "lit", value: this.#number(t), pos: t.pos };
      case "lparen": {
        this.#enter(t);
        const pipe = this.#pipeline("parenthesized pipeline", false, false);
        this.#expect("rparen", "parenthesized pipeline");
        this.#depth--;
        return { kind: "pipe", pipe, pos: t.pos };
      }
      default:
        throw this.#err(t, `unexpected ${describe(t)} in operand`);
    }
  }

  #number(t: Token): Value {
    const text = t.value;
    const v = parseGoNumber(text);
    if (v === undefined) throw this.#err(t, `bad number syntax: ${JSON.stringify(text)}`);
    return v;
  }
}

/** Go's number constant: an int (bigint, int64 range) unless it has `.`, `e` or `p`; undefined if malformed. */
export function parseGoNumber(text: string): bigint | number | undefined {
  const neg = text.startsWith("-");
  let body = text.replace(/^[+-]/, "");
  if (/(^_|_$|__)/.test(body)) return undefined;
  body = body.replaceAll("_", "");
  const hex = /^0[xX]/.test(body);
  if (hex ? /[pP]/.test(body) : /[.eE]/.test(body)) {
    if (hex || !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return undefined;
    const f = Number(body);
    return neg ? -f : f;
  }
  let n: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body) || /^0[bB][01]+$/.test(body) || /^0[oO][0-7]+$/.test(body))
    n = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
  else if (/^\d+$/.test(body)) n = BigInt(body);
  else return undefined;
  if (neg) n = -n;
  if (n !== BigInt.asIntN(64, n)) return undefined;
  return n;
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "EOF";
    case "close":
      return "}}";
    case "string":
      return "quoted string";
    default:
      return `<${t.value === "" ? t.kind : t.value}>`;
  }
}
