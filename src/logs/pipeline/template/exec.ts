import type { TemplateFunc } from "./args.js";
import type { Arg, Command, Node, Pipe } from "./ast.js";
import { GO_BUILTINS } from "./builtins.js";
import { TemplateExecError } from "./errors.js";
import { LOKI_FUNCS } from "./functions.js";
import { GoTime } from "./go-time.js";
import { isTrue, LabelMap, printValue, typeName, type Value } from "./value.js";

/** What a template runs on: one log entry. */
export interface TemplateData {
  /** Label values by name (`{{ .level }}`); a missing label reads as "". */
  readonly labels: Readonly<Record<string, string>>;
  /** The log line, returned by `{{ __line__ }}`. */
  readonly line: string;
  /** The entry's timestamp in Unix nanoseconds, returned by `{{ __timestamp__ }}` as a UTC time. */
  readonly tsNs: bigint;
}

/** Output a template may produce for one entry, in UTF-16 units; more is a {@link TemplateExecError}. */
export const MAX_OUTPUT = 1 << 20;
/** Commands and loop iterations one execution may run; more is a {@link TemplateExecError}. */
export const MAX_STEPS = 100_000;

const FUNCS: Readonly<Record<string, TemplateFunc>> = { ...GO_BUILTINS, ...LOKI_FUNCS };
const SPECIAL = new Set(["and", "or", "__line__", "__timestamp__"]);

/** Whether `name` is a function a template may call. */
export function isFunction(name: string): boolean {
  return SPECIAL.has(name) || Object.hasOwn(FUNCS, name);
}

class BreakSignal {}
class ContinueSignal {}
const NO_FINAL = Symbol("no final argument");
type Final = Value | typeof NO_FINAL;

/** Runs parsed nodes on one entry; throws {@link TemplateExecError} on a runtime error. */
export function execute(nodes: readonly Node[], data: TemplateData): string {
  return new Exec(data).run(nodes);
}

class Exec {
  #out = "";
  #steps = 0;
  readonly #vars: { name: string; value: Value }[];
  readonly #dot: LabelMap;

  constructor(private readonly data: TemplateData) {
    this.#dot = new LabelMap(data.labels);
    this.#vars = [{ name: "$", value: this.#dot }];
  }

  run(nodes: readonly Node[]): string {
    try {
      this.#list(nodes, this.#dot);
    } catch (e) {
      if (e instanceof RangeError) throw new TemplateExecError(`template execution failed: ${e.message}`);
      throw e;
    }
    return this.#out;
  }

  #step(pos: number): void {
    if (++this.#steps > MAX_STEPS)
      throw new TemplateExecError(`template ran more than ${MAX_STEPS} steps`, pos);
  }

  #write(s: string): void {
    this.#out += s;
    if (this.#out.length > MAX_OUTPUT)
      throw new TemplateExecError(`template output longer than ${MAX_OUTPUT} characters`);
  }

  #list(nodes: readonly Node[], dot: Value): void {
    for (const n of nodes) this.#node(n, dot);
  }

  #node(n: Node, dot: Value): void {
    switch (n.kind) {
      case "text":
        this.#write(n.text);
        return;
      case "action": {
        const v = this.#pipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) this.#write(printValue(v));
        return;
      }
      case "if":
      case "with": {
        const mark = this.#vars.length;
        const v = this.#pipe(n.pipe, dot);
        if (isTrue(v)) this.#list(n.list, n.kind === "with" ? v : dot);
        else this.#list(n.elseList, dot);
        this.#vars.length = mark;
        return;
      }
      case "range":
        this.#range(n.pipe, n.list, n.elseList, dot);
        return;
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
    }
  }

  #range(pipe: Pipe, list: readonly Node[], elseList: readonly Node[], dot: Value): void {
    const mark = this.#vars.length;
    const v = this.#pipe({ ...pipe, decl: [] }, dot);
    let items: [Value, Value][];
    if (v === undefined) items = [];
    else if (Array.isArray(v)) items = v.map((x, i) => [BigInt(i), x]);
    else if (v instanceof Map) items = [...v.keys()].sort().map((k) => [k, v.get(k)]);
    else if (v instanceof LabelMap)
      items = Object.keys(v.labels)
        .sort()
        .map((k) => [k, v.get(k)]);
    else if (typeof v === "bigint") {
      if (v > BigInt(MAX_STEPS))
        throw new TemplateExecError(`template ran more than ${MAX_STEPS} steps`, pipe.pos);
      items = Array.from({ length: Math.max(0, Number(v)) }, (_, i) => [BigInt(i), BigInt(i)]);
    } else throw new TemplateExecError(`range can't iterate over ${printValue(v)}`, pipe.pos);
    if (items.length === 0) {
      this.#list(elseList, dot);
      return;
    }
    for (const [k, x] of items) {
      this.#step(pipe.pos);
      if (pipe.decl.length === 1) this.#setVar(pipe.decl[0]!, x, pipe.assign);
      else if (pipe.decl.length === 2) {
        this.#setVar(pipe.decl[0]!, k, pipe.assign);
        this.#setVar(pipe.decl[1]!, x, pipe.assign);
      }
      try {
        this.#list(list, x);
      } catch (e) {
        if (e instanceof BreakSignal) break;
        if (!(e instanceof ContinueSignal)) throw e;
      } finally {
        this.#vars.length = mark;
      }
    }
    this.#vars.length = mark;
  }

  #setVar(name: string, value: Value, assign: boolean): void {
    if (assign) {
      for (let i = this.#vars.length - 1; i >= 0; i--) {
        if (this.#vars[i]!.name === name) {
          this.#vars[i]!.value = value;
          return;
        }
      }
      throw new TemplateExecError(`undefined variable: ${name}`);
    }
    this.#vars.push({ name, value });
  }

  #var(name: string, pos: number): Value {
    for (let i = this.#vars.length - 1; i >= 0; i--)
      if (this.#vars[i]!.name === name) return this.#vars[i]!.value;
    throw new TemplateExecError(`undefined variable: ${name}`, pos);
  }

  #pipe(pipe: Pipe, dot: Value): Value {
    let v: Final = NO_FINAL;
    for (const cmd of pipe.cmds) v = this.#command(cmd, dot, v);
    const value = v === NO_FINAL ? undefined : v;
    for (const name of pipe.decl) this.#setVar(name, value, pipe.assign);
    return value;
  }

  #command(cmd: Command, dot: Value, final: Final): Value {
    this.#step(cmd.pos);
    const first = cmd.args[0]!;
    if (first.kind === "ident") return this.#call(first.name, cmd.args.slice(1), dot, final, first.pos);
    if (cmd.args.length > 1 || final !== NO_FINAL) {
      throw new TemplateExecError(`can't give argument to non-function ${describeArg(first)}`, first.pos);
    }
    if (first.kind === "nil") throw new TemplateExecError("nil is not a command", first.pos);
    return this.#arg(first, dot);
  }

  #arg(a: Arg, dot: Value): Value {
    switch (a.kind) {
      case "dot":
        return dot;
      case "lit":
        return a.value;
      case "nil":
        return undefined;
      case "field":
        return this.#fields(dot, a.names, a.pos);
      case "var":
        return this.#fields(this.#var(a.name, a.pos), a.names, a.pos);
      case "ident":
        return this.#call(a.name, [], dot, NO_FINAL, a.pos);
      case "pipe":
        return this.#pipe(a.pipe, dot);
      case "chain":
        return this.#fields(this.#arg(a.node, dot), a.names, a.pos);
    }
  }

  #fields(v: Value, names: readonly string[], pos: number): Value {
    let cur = v;
    for (const name of names) {
      if (cur instanceof LabelMap) cur = cur.get(name);
      else if (cur instanceof Map) cur = cur.get(name);
      else if (cur === undefined)
        throw new TemplateExecError(`nil pointer evaluating interface {}.${name}`, pos);
      else throw new TemplateExecError(`can't evaluate field ${name} in type ${typeName(cur)}`, pos);
    }
    return cur;
  }

  #call(name: string, argNodes: readonly Arg[], dot: Value, final: Final, pos: number): Value {
    if (name === "and" || name === "or") {
      const n = argNodes.length + (final === NO_FINAL ? 0 : 1);
      if (n < 1) throw new TemplateExecError(`wrong number of args for ${name}: want at least 1 got 0`, pos);
      let v: Value;
      for (let i = 0; i < n; i++) {
        v = i < argNodes.length ? this.#arg(argNodes[i]!, dot) : (final as Value);
        if (isTrue(v) !== (name === "and")) return v;
      }
      return v;
    }
    const args = argNodes.map((a) => this.#arg(a, dot));
    if (final !== NO_FINAL) args.push(final);
    if (name === "__line__" || name === "__timestamp__") {
      if (args.length > 0)
        throw new TemplateExecError(`wrong number of args for ${name}: want 0 got ${args.length}`, pos);
      return name === "__line__" ? this.data.line : new GoTime(this.data.tsNs);
    }
    const fn = FUNCS[name]!;
    try {
      return fn(args);
    } catch (e) {
      if (e instanceof TemplateExecError && e.offset < 0) throw new TemplateExecError(e.message, pos);
      if (e instanceof RangeError) throw new TemplateExecError(`error calling ${name}: ${e.message}`, pos);
      throw e;
    }
  }
}

function describeArg(a: Arg): string {
  switch (a.kind) {
    case "field":
      return `.${a.names.join(".")}`;
    case "var":
      return a.name + a.names.map((n) => `.${n}`).join("");
    case "lit":
      return printValue(a.value);
    default:
      return a.kind;
  }
}
