import { checkLength } from "./args.js";
import { formatTime, type GoTime } from "./go-time.js";
import { toExponentialEven, toFixedEven } from "./round-half-even.js";
import { formatFloatV, printValue, typeName, type Value } from "./value.js";

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | undefined;
  prec: number | undefined;
}

/**
 * Go's `fmt.Sprintf` for the verbs a log template needs: `%v %s %d %f %F %e %E %g %G %q %x %X %o
 * %b %c %t %T %%` with flags `-+# 0`, width and precision. A verb that does not fit its argument
 * prints as Go does (`%!d(string=abc)`), as do missing (`%!d(MISSING)`) and extra arguments.
 */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      zero: false,
      space: false,
      width: undefined,
      prec: undefined,
    };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === "-") spec.minus = true;
      else if (c === "+") spec.plus = true;
      else if (c === "#") spec.sharp = true;
      else if (c === "0") spec.zero = true;
      else if (c === " ") spec.space = true;
      else break;
    }
    const w = /^[0-9]+/.exec(format.slice(i));
    if (w !== null) {
      spec.width = Math.min(Number(w[0]), 1_000_000);
      i += w[0].length;
    }
    if (format[i] === ".") {
      i++;
      const p = /^[0-9]+/.exec(format.slice(i));
      spec.prec = p === null ? 0 : Math.min(Number(p[0]), 1_000_000);
      if (p !== null) i += p[0].length;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    i++;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, spec, args[argi++]);
    checkLength("printf", out.length);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${printValue(a)}`)
      .join(", ")})`;
  }
  return out;
}

function bad(verb: string, v: Value): string {
  return v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${printValue(v)})`;
}

function padTo(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width;
  if (w === undefined || [...s].length >= w) return s;
  const n = w - [...s].length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : "";
    const body = s.slice(sign.length);
    const prefix = /^0[xXbo]/.test(body) && spec.sharp ? body.slice(0, 2) : "";
    return sign + prefix + "0".repeat(n) + body.slice(prefix.length);
  }
  return " ".repeat(n) + s;
}

function signed(s: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function formatInt(verb: string, spec: Spec, n: bigint): string | undefined {
  const neg = n < 0n;
  const a = neg ? -n : n;
  let body: string;
  switch (verb) {
    case "d":
    case "v":
      body = a.toString(10);
      break;
    case "x":
      body = (spec.sharp ? "0x" : "") + a.toString(16);
      break;
    case "X":
      body = (spec.sharp ? "0X" : "") + a.toString(16).toUpperCase();
      break;
    case "o":
      body = (spec.sharp ? "0" : "") + a.toString(8);
      break;
    case "O":
      body = `0o${a.toString(8)}`;
      break;
    case "b":
      body = a.toString(2);
      break;
    case "c":
      return padTo(a <= 0x10ffffn ? String.fromCodePoint(Number(a)) : "\ufffd", spec, false);
    case "q":
      return padTo(quoteRune(Number(a)), spec, false);
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G":
      return undefined;
    default:
      return undefined;
  }
  if (spec.prec !== undefined) {
    const digits = body.replace(/^0[xXo]/, "");
    const prefix = body.slice(0, body.length - digits.length);
    body = prefix + (spec.prec === 0 && a === 0n ? "" : digits.padStart(spec.prec, "0"));
    return padTo(signed(body, neg, spec), { ...spec, zero: false }, true);
  }
  return padTo(signed(body, neg, spec), spec, true);
}

function formatFloat(verb: string, spec: Spec, f: number): string | undefined {
  if (!Number.isFinite(f)) {
    const s = Number.isNaN(f) ? "NaN" : f > 0 ? (spec.plus ? "+Inf" : "Inf") : "-Inf";
    return padTo(verb === "v" && f > 0 && !spec.plus ? "+Inf" : s, { ...spec, zero: false }, true);
  }
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  let body: string;
  switch (verb) {
    case "v":
    case "g":
    case "G":
      if (spec.prec === undefined) body = formatFloatV(a);
      else body = formatG(a, spec.prec === 0 ? 1 : spec.prec);
      if (verb === "G") body = body.toUpperCase();
      break;
    case "f":
    case "F":
      body = toFixedEven(a, Math.min(spec.prec ?? 6, 100));
      break;
    case "e":
    case "E":
      body = expText(toExponentialEven(a, Math.min(spec.prec ?? 6, 100)));
      if (verb === "E") body = body.toUpperCase();
      break;
    default:
      return undefined;
  }
  return padTo(signed(body, neg, spec), spec, true);
}

function expText(e: { mantissa: string; exp: number }): string {
  return `${e.mantissa}e${e.exp < 0 ? "-" : "+"}${String(Math.abs(e.exp)).padStart(2, "0")}`;
}

/** `%.Ng`: %e with N significant digits when the exponent is < -4 or >= N, else %f; trailing zeros dropped. */
function formatG(a: number, prec: number): string {
  if (a === 0) return "0";
  const p = Math.min(prec, 100);
  const e = toExponentialEven(a, p - 1);
  if (e.exp < -4 || e.exp >= p) {
    const m = e.mantissa.includes(".") ? e.mantissa.replace(/\.?0+$/, "") : e.mantissa;
    return expText({ mantissa: m, exp: e.exp });
  }
  const f = toFixedEven(a, Math.max(0, p - 1 - e.exp));
  return f.includes(".") ? f.replace(/\.?0+$/, "") : f;
}

/** Go's `strconv.Quote`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += quoteChar(ch, '"');
  return `${out}"`;
}

function quoteRune(n: number): string {
  if (n > 0x10ffff || (n >= 0xd800 && n < 0xe000)) return "'\ufffd'";
  return `'${quoteChar(String.fromCodePoint(n), "'")}'`;
}

function quoteChar(ch: string, q: string): string {
  const cp = ch.codePointAt(0)!;
  if (ch === q || ch === "\\") return `\\${ch}`;
  switch (ch) {
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\f":
      return "\\f";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\v":
      return "\\v";
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (ch === "\ufffd" || /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)) {
    return cp > 0x7f && /\p{Zs}/u.test(ch) && ch !== " " ? `\\u${cp.toString(16).padStart(4, "0")}` : ch;
  }
  return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
}

function formatOne(verb: string, spec: Spec, v: Value): string {
  if (verb === "T") return padTo(typeName(v), spec, false);
  if (typeof v === "bigint") return formatInt(verb, spec, v) ?? bad(verb, v);
  if (typeof v === "number") return formatFloat(verb, spec, v) ?? bad(verb, v);
  if (typeof v === "string") {
    const s = spec.prec !== undefined ? [...v].slice(0, spec.prec).join("") : v;
    switch (verb) {
      case "s":
      case "v":
        return padTo(s, spec, false);
      case "q":
        return padTo(spec.sharp && !s.includes("`") ? `\`${s}\`` : goQuote(s), spec, false);
      case "x":
      case "X": {
        const hex = Buffer.from(s, "utf8").toString("hex");
        return padTo(verb === "X" ? hex.toUpperCase() : hex, spec, false);
      }
      default:
        return bad(verb, v);
    }
  }
  if (typeof v === "boolean")
    return verb === "t" || verb === "v" ? padTo(String(v), spec, false) : bad(verb, v);
  if (v === undefined) return verb === "v" || verb === "s" ? padTo("<nil>", spec, false) : bad(verb, v);
  if (verb === "v" || verb === "s") {
    if (!Array.isArray(v) && !(v instanceof Map) && typeof v === "object" && "ns" in v)
      return padTo(formatTime(v as GoTime, "2006-01-02 15:04:05.999999999 -0700 MST"), spec, false);
    return padTo(printValue(v), spec, false);
  }
  return bad(verb, v);
}
