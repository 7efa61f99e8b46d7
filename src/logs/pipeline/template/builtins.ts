import { arity, int, type TemplateFunc } from "./args.js";
import { TemplateExecError } from "./errors.js";
import { sprintf } from "./printf.js";
import { queryEscape } from "./strings.js";
import { isTrue, LabelMap, printValue, typeName, type Value } from "./value.js";

type Basic = "bool" | "int" | "float" | "string";

function basic(v: Value): Basic | undefined {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float";
  if (typeof v === "string") return "string";
  return undefined;
}

function eq2(a: Value, b: Value): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka === undefined || kb === undefined) {
    if (a === undefined || b === undefined) return a === b;
    throw new TemplateExecError(
      `error calling eq: non-comparable type ${printValue(ka === undefined ? a : b)}: ${typeName(ka === undefined ? a : b)}`,
    );
  }
  if (ka !== kb) throw new TemplateExecError("error calling eq: incompatible types for comparison");
  return a === b;
}

function lessThan(name: string, a: Value, b: Value): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka === undefined || kb === undefined || ka === "bool" || kb === "bool") {
    throw new TemplateExecError(`error calling ${name}: invalid type for comparison`);
  }
  if (ka !== kb) throw new TemplateExecError(`error calling ${name}: incompatible types for comparison`);
  return (a as string | number | bigint) < (b as string | number | bigint);
}

/** fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: readonly Value[]): string {
  let out = "";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += a === undefined ? "<nil>" : printValue(a);
  }
  return out;
}

function indexOne(item: Value, key: Value): Value {
  if (item instanceof LabelMap) {
    if (typeof key !== "string")
      throw new TemplateExecError(`error calling index: value has type ${typeName(key)}; should be string`);
    return item.get(key);
  }
  if (item instanceof Map) {
    if (typeof key !== "string")
      throw new TemplateExecError(`error calling index: value has type ${typeName(key)}; should be string`);
    return item.get(key);
  }
  if (typeof item === "string" || Array.isArray(item)) {
    if (typeof key !== "bigint")
      throw new TemplateExecError(`error calling index: cannot index slice/array with type ${typeName(key)}`);
    const len = typeof item === "string" ? Buffer.byteLength(item) : item.length;
    if (key < 0n || key >= BigInt(len))
      throw new TemplateExecError(`error calling index: index out of range: ${key}`);
    if (typeof item === "string") return BigInt(Buffer.from(item)[Number(key)]!);
    return (item as readonly Value[])[Number(key)];
  }
  if (item === undefined) throw new TemplateExecError("error calling index: index of untyped nil");
  throw new TemplateExecError(`error calling index: can't index item of type ${typeName(item)}`);
}

const HTML: Record<string, string> = {
  "<": "&lt;",
  ">": "&gt;",
  "&": "&amp;",
  "'": "&#39;",
  '"': "&#34;",
  "\0": "\uFFFD",
};

/** Go's predefined template functions (`and`, `or` are short-circuit and handled by the executor). */
export const GO_BUILTINS: Readonly<Record<string, TemplateFunc>> = {
  not: (a) => {
    arity("not", a, 1);
    return !isTrue(a[0]);
  },
  eq: (a) => {
    arity("eq", a, 2, Number.POSITIVE_INFINITY);
    for (let i = 1; i < a.length; i++) if (eq2(a[0], a[i])) return true;
    return false;
  },
  ne: (a) => {
    arity("ne", a, 2);
    return !eq2(a[0], a[1]);
  },
  lt: (a) => {
    arity("lt", a, 2);
    return lessThan("lt", a[0], a[1]);
  },
  le: (a) => {
    arity("le", a, 2);
    return lessThan("le", a[0], a[1]) || eq2(a[0], a[1]);
  },
  gt: (a) => {
    arity("gt", a, 2);
    return !lessThan("gt", a[0], a[1]) && !eq2(a[0], a[1]);
  },
  ge: (a) => {
    arity("ge", a, 2);
    return !lessThan("ge", a[0], a[1]);
  },
  len: (a) => {
    arity("len", a, 1);
    const v = a[0];
    if (typeof v === "string") return BigInt(Buffer.byteLength(v));
    if (Array.isArray(v)) return BigInt(v.length);
    if (v instanceof Map) return BigInt(v.size);
    if (v instanceof LabelMap) return BigInt(Object.keys(v.labels).length);
    throw new TemplateExecError(`error calling len: len of type ${typeName(v)}`);
  },
  index: (a) => {
    arity("index", a, 1, Number.POSITIVE_INFINITY);
    let v = a[0];
    for (let i = 1; i < a.length; i++) v = indexOne(v, a[i]);
    return v;
  },
  slice: (a) => {
    arity("slice", a, 1, 3);
    const v = a[0];
    if (typeof v !== "string" && !Array.isArray(v))
      throw new TemplateExecError(`error calling slice: can't slice item of type ${typeName(v)}`);
    if (typeof v === "string" && a.length > 3)
      throw new TemplateExecError("error calling slice: cannot 3-index slice a string");
    const len = typeof v === "string" ? Buffer.byteLength(v) : v.length;
    const lo = a.length > 1 ? int("slice", a[1]) : 0;
    const hi = a.length > 2 ? int("slice", a[2]) : len;
    if (lo < 0 || hi < lo || hi > len)
      throw new TemplateExecError(`error calling slice: index out of range: ${lo}:${hi}`);
    return typeof v === "string" ? Buffer.from(v).subarray(lo, hi).toString("utf8") : v.slice(lo, hi);
  },
  print: (a) => sprint(a),
  println: (a) => `${a.map((x) => (x === undefined ? "<nil>" : printValue(x))).join(" ")}\n`,
  printf: (a) => {
    arity("printf", a, 1, Number.POSITIVE_INFINITY);
    if (typeof a[0] !== "string")
      throw new TemplateExecError(
        `error calling printf: wrong type for value; expected string; got ${typeName(a[0])}`,
      );
    return sprintf(a[0], a.slice(1));
  },
  html: (a) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML[c]!),
  urlquery: (a) => queryEscape(sprint(a)),
  js: (a) => {
    let out = "";
    for (const c of sprint(a)) {
      const code = c.charCodeAt(0);
      if (c === "\\" || c === "'" || c === '"') out += `\\${c}`;
      else if ("<>&=`".includes(c) || code < 0x20 || code === 0x2028 || code === 0x2029) {
        out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
      } else out += c;
    }
    return out;
  },
};
