import { translateRE2 } from "../../../model/re2.js";
import { arity, checkLength, int, str, type TemplateFunc, time, toFloat64, toInt64, wrap64 } from "./args.js";
import { TemplateExecError } from "./errors.js";
import { parseGoDuration } from "./go-duration.js";
import { formatTime, GoTime } from "./go-time.js";
import { parseTime, TimeParseError } from "./go-time-parse.js";
import {
  expandReplacement,
  parseBytes,
  queryEscape,
  queryUnescape,
  title,
  trimCutset,
  trimSpace,
} from "./strings.js";
import { isTrue, type Value } from "./value.js";
import { loadZone } from "./zone.js";

const regexCache = new Map<string, RegExp>();

/** Compiles an RE2 pattern for a template function; a bad pattern is the function's error. */
function regex(name: string, pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(translateRE2(pattern), "gsu");
    } catch (e) {
      throw new TemplateExecError(
        `error calling ${name}: error parsing regexp: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (regexCache.size < 1000) regexCache.set(pattern, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Runs `fn` over every non-overlapping match, Go-style (an empty match after a match is skipped). */
function replaceAll(re: RegExp, s: string, fn: (m: RegExpExecArray) => string): string {
  let out = "";
  let last = 0;
  let prevEnd = -1;
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (m[0] === "") {
      re.lastIndex = end + (s.codePointAt(end)! > 0xffff ? 2 : 1);
      if (start === prevEnd) {
        if (end >= s.length) break;
        continue;
      }
    }
    out += s.slice(last, start) + fn(m);
    checkLength("regexReplaceAll", out.length);
    last = end;
    prevEnd = end;
    if (end >= s.length && m[0] === "") break;
  }
  return out + s.slice(last);
}

function sprigEmpty(v: Value): boolean {
  return !isTrue(v);
}

/** Sprig's `date` argument: a time, or an integer of Unix seconds; anything else is the current time, as in sprig. */
function toTime(v: Value): GoTime {
  if (v instanceof GoTime) return v;
  if (typeof v === "bigint") return new GoTime(v * 1_000_000_000n);
  return new GoTime(BigInt(Date.now()) * 1_000_000n);
}

/** Sprig's `round`: half away from the rounding point `r` (0.5 by default) at `p` decimal places. */
function round(a: number, p: number, r: number): number {
  const pow = 10 ** p;
  const digit = pow * a;
  const frac = digit - Math.trunc(digit);
  const rounded = frac >= r ? Math.ceil(digit) : Math.floor(digit);
  return rounded / pow;
}

/** Exact decimal arithmetic for `addf`/`subf`/`mulf`, as sprig's shopspring/decimal: 0.1 + 0.2 = 0.3. */
function decimal(v: number): [bigint, number] {
  if (!Number.isFinite(v)) return [0n, -1];
  const s = v.toExponential();
  const [mant, e] = s.split("e") as [string, string];
  const digits = mant.replace(".", "").replace("-", "");
  const scale = (mant.split(".")[1]?.length ?? 0) - Number(e);
  const n = BigInt(digits) * (v < 0 ? -1n : 1n);
  return scale >= 0 ? [n, scale] : [n * 10n ** BigInt(-scale), 0];
}

function decimalOp(vals: readonly number[], op: "+" | "-" | "*"): number {
  if (
    vals.some((v) => !Number.isFinite(v)) ||
    vals.some((v) => Math.abs(v) > 1e300 || (v !== 0 && Math.abs(v) < 1e-300))
  ) {
    return vals.slice(1).reduce((a, b) => (op === "+" ? a + b : op === "-" ? a - b : a * b), vals[0]!);
  }
  let [acc, scale] = decimal(vals[0]!);
  for (const v of vals.slice(1)) {
    const [n, s] = decimal(v);
    if (op === "*") {
      acc *= n;
      scale += s;
    } else {
      const m = Math.max(scale, s);
      const a = acc * 10n ** BigInt(m - scale);
      const b = n * 10n ** BigInt(m - s);
      acc = op === "+" ? a + b : a - b;
      scale = m;
    }
  }
  return Number(`${acc}e-${scale}`);
}

function unixToTime(s: string): GoTime {
  if (!/^-?[0-9]+$/.test(s))
    throw new TemplateExecError(`error calling unixToTime: invalid epoch ${JSON.stringify(s)}`);
  const n = BigInt(s);
  const digits = s.replace("-", "").length;
  switch (digits) {
    case 5:
      return new GoTime(n * 86_400n * 1_000_000_000n);
    case 10:
      return new GoTime(n * 1_000_000_000n);
    case 13:
      return new GoTime(n * 1_000_000n);
    case 16:
      return new GoTime(n * 1_000n);
    case 19:
      return new GoTime(n);
    default:
      throw new TemplateExecError(
        `error calling unixToTime: unable to parse ${JSON.stringify(s)} as an epoch in days, seconds, milliseconds, microseconds or nanoseconds`,
      );
  }
}

function b64dec(s: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    const bad = s.search(/[^A-Za-z0-9+/=]|=[^=]/);
    return `illegal base64 data at input byte ${bad >= 0 ? bad : Math.max(0, s.length - (s.length % 4 || 4))}`;
  }
  return Buffer.from(s, "base64").toString("utf8");
}

function align(name: string, a: readonly Value[], left: boolean): string {
  arity(name, a, 2);
  const n = int(name, a[0]);
  const chars = [...str(name, a[1])];
  if (n < 0) throw new TemplateExecError(`error calling ${name}: count must be non-negative`);
  if (chars.length >= n) return (left ? chars.slice(0, n) : chars.slice(chars.length - n)).join("");
  const padding = " ".repeat(n - chars.length);
  return left ? chars.join("") + padding : padding + chars.join("");
}

const MAX_REPEAT = 1 << 20;

function strFn(name: string, f: (s: string) => Value): TemplateFunc {
  return (a) => {
    arity(name, a, 1);
    return f(str(name, a[0]));
  };
}

function str2(name: string, f: (a: string, b: string) => Value): TemplateFunc {
  return (a) => {
    arity(name, a, 2);
    return f(str(name, a[0]), str(name, a[1]));
  };
}

function intFold(name: string, min: number, f: (a: bigint, b: bigint) => bigint): TemplateFunc {
  return (a) => {
    arity(name, a, min, Number.POSITIVE_INFINITY);
    return a.length === 0 ? 0n : a.slice(1).reduce<bigint>((x, y) => wrap64(f(x, toInt64(y))), toInt64(a[0]));
  };
}

function floatFold(name: string, f: (a: number, b: number) => number): TemplateFunc {
  return (a) => {
    arity(name, a, 1, Number.POSITIVE_INFINITY);
    return a.slice(1).reduce<number>((x, y) => f(x, toFloat64(y)), toFloat64(a[0]));
  };
}

function checkRepeat(name: string, n: number, unit: number): void {
  if (n * unit > MAX_REPEAT)
    throw new TemplateExecError(`error calling ${name}: result longer than ${MAX_REPEAT} characters`);
}

/**
 * Loki's template functions (its own and the sprig subset it exposes). Sprig's argument order
 * applies: the value a pipeline passes in comes last (`{{ .x | replace "a" "b" }}`).
 */
export const LOKI_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  ToLower: strFn("ToLower", (s) => s.toLowerCase()),
  ToUpper: strFn("ToUpper", (s) => s.toUpperCase()),
  lower: strFn("lower", (s) => s.toLowerCase()),
  upper: strFn("upper", (s) => s.toUpperCase()),
  title: strFn("title", title),
  Replace: (a) => {
    arity("Replace", a, 4);
    const [s, o, n, c] = [
      str("Replace", a[0]),
      str("Replace", a[1]),
      str("Replace", a[2]),
      int("Replace", a[3]),
    ];
    if (c < 0) return replaceN(s, o, n, Number.POSITIVE_INFINITY);
    return replaceN(s, o, n, c);
  },
  replace: (a) => {
    arity("replace", a, 3);
    return replaceN(
      str("replace", a[2]),
      str("replace", a[0]),
      str("replace", a[1]),
      Number.POSITIVE_INFINITY,
    );
  },
  Trim: str2("Trim", (s, cut) => trimCutset(s, cut, true, true)),
  TrimLeft: str2("TrimLeft", (s, cut) => trimCutset(s, cut, true, false)),
  TrimRight: str2("TrimRight", (s, cut) => trimCutset(s, cut, false, true)),
  TrimPrefix: str2("TrimPrefix", (s, p) => (s.startsWith(p) ? s.slice(p.length) : s)),
  TrimSuffix: str2("TrimSuffix", (s, p) => (s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  TrimSpace: strFn("TrimSpace", trimSpace),
  trim: strFn("trim", trimSpace),
  trimAll: str2("trimAll", (cut, s) => trimCutset(s, cut, true, true)),
  trimLeft: str2("trimLeft", (cut, s) => trimCutset(s, cut, true, false)),
  trimRight: str2("trimRight", (cut, s) => trimCutset(s, cut, false, true)),
  trimPrefix: str2("trimPrefix", (p, s) => (s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: str2("trimSuffix", (p, s) => (s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  trimSpace: strFn("trimSpace", trimSpace),
  regexReplaceAll: (a) => {
    arity("regexReplaceAll", a, 3);
    const re = regex("regexReplaceAll", str("regexReplaceAll", a[0]));
    const repl = str("regexReplaceAll", a[2]);
    return replaceAll(re, str("regexReplaceAll", a[1]), (m) => expandReplacement(repl, m));
  },
  regexReplaceAllLiteral: (a) => {
    arity("regexReplaceAllLiteral", a, 3);
    const re = regex("regexReplaceAllLiteral", str("regexReplaceAllLiteral", a[0]));
    const repl = str("regexReplaceAllLiteral", a[2]);
    return replaceAll(re, str("regexReplaceAllLiteral", a[1]), () => repl);
  },
  count: (a) => {
    arity("count", a, 2);
    const re = regex("count", str("count", a[0]));
    let n = 0n;
    replaceAll(re, str("count", a[1]), () => {
      n++;
      return "";
    });
    return n;
  },
  contains: str2("contains", (sub, s) => s.includes(sub)),
  hasPrefix: str2("hasPrefix", (p, s) => s.startsWith(p)),
  hasSuffix: str2("hasSuffix", (p, s) => s.endsWith(p)),
  indent: (a) => {
    arity("indent", a, 2);
    const n = Math.max(0, int("indent", a[0]));
    const s = str("indent", a[1]);
    checkRepeat("indent", n, s.split("\n").length);
    const pad = " ".repeat(n);
    return pad + s.replaceAll("\n", `\n${pad}`);
  },
  nindent: (a) => {
    arity("nindent", a, 2);
    return `\n${LOKI_FUNCS.indent!(a)}`;
  },
  repeat: (a) => {
    arity("repeat", a, 2);
    const n = int("repeat", a[0]);
    const s = str("repeat", a[1]);
    if (n < 0) throw new TemplateExecError("error calling repeat: strings: negative Repeat count");
    checkRepeat("repeat", n, s.length);
    return s.repeat(n);
  },
  trunc: (a) => {
    arity("trunc", a, 2);
    const c = int("trunc", a[0]);
    const s = str("trunc", a[1]);
    if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
    if (c >= 0 && s.length > c) return s.slice(0, c);
    return s;
  },
  substr: (a) => {
    arity("substr", a, 3);
    const start = int("substr", a[0]);
    const end = int("substr", a[1]);
    const s = str("substr", a[2]);
    if (start < 0) return s.slice(0, Math.max(0, end));
    if (end < 0 || end > s.length) {
      if (start > s.length)
        throw new TemplateExecError(`error calling substr: slice bounds out of range [${start}:${s.length}]`);
      return s.slice(start);
    }
    if (start > end)
      throw new TemplateExecError(`error calling substr: slice bounds out of range [${start}:${end}]`);
    return s.slice(start, end);
  },
  default: (a) => {
    arity("default", a, 1, 2);
    return a.length < 2 || sprigEmpty(a[1]) ? a[0] : a[1];
  },
  urlencode: strFn("urlencode", queryEscape),
  urldecode: strFn("urldecode", queryUnescape),
  b64enc: strFn("b64enc", (s) => Buffer.from(s, "utf8").toString("base64")),
  b64dec: strFn("b64dec", b64dec),
  bytes: strFn("bytes", (s) => {
    const v = parseBytes(s);
    if (v === undefined)
      throw new TemplateExecError(`error calling bytes: invalid bytes ${JSON.stringify(s)}`);
    return v;
  }),
  duration: strFn("duration", (s) => durationSeconds("duration", s)),
  duration_seconds: strFn("duration_seconds", (s) => durationSeconds("duration_seconds", s)),
  fromJson: strFn("fromJson", fromJson),
  alignLeft: (a) => align("alignLeft", a, true),
  alignRight: (a) => align("alignRight", a, false),
  unixEpoch: (a) => {
    arity("unixEpoch", a, 1);
    return time("unixEpoch", a[0]).unix();
  },
  unixEpochMillis: (a) => {
    arity("unixEpochMillis", a, 1);
    const t = time("unixEpochMillis", a[0]);
    return t.ns >= 0n ? t.ns / 1_000_000n : -((-t.ns + 999_999n) / 1_000_000n);
  },
  unixEpochNanos: (a) => {
    arity("unixEpochNanos", a, 1);
    return time("unixEpochNanos", a[0]).ns;
  },
  unixToTime: strFn("unixToTime", unixToTime),
  toDate: (a) => {
    arity("toDate", a, 2);
    return parseOrZero(str("toDate", a[0]), str("toDate", a[1]), "UTC");
  },
  toDateInZone: (a) => {
    arity("toDateInZone", a, 3);
    return parseOrZero(str("toDateInZone", a[0]), str("toDateInZone", a[2]), str("toDateInZone", a[1]));
  },
  date: (a) => {
    arity("date", a, 2);
    return formatTime(toTime(a[1]), str("date", a[0]));
  },
  now: (a) => {
    arity("now", a, 0);
    return new GoTime(BigInt(Date.now()) * 1_000_000n);
  },
  int: (a) => {
    arity("int", a, 1);
    return toInt64(a[0]);
  },
  float64: (a) => {
    arity("float64", a, 1);
    return toFloat64(a[0]);
  },
  add: intFold("add", 0, (x, y) => x + y),
  sub: (a) => {
    arity("sub", a, 2);
    return wrap64(toInt64(a[0]) - toInt64(a[1]));
  },
  mul: intFold("mul", 1, (x, y) => x * y),
  div: (a) => {
    arity("div", a, 2);
    const d = toInt64(a[1]);
    if (d === 0n) throw new TemplateExecError("error calling div: runtime error: integer divide by zero");
    return wrap64(toInt64(a[0]) / d);
  },
  mod: (a) => {
    arity("mod", a, 2);
    const d = toInt64(a[1]);
    if (d === 0n) throw new TemplateExecError("error calling mod: runtime error: integer divide by zero");
    return toInt64(a[0]) % d;
  },
  max: intFold("max", 1, (x, y) => (y > x ? y : x)),
  min: intFold("min", 1, (x, y) => (y < x ? y : x)),
  addf: (a) => (a.length === 0 ? 0 : decimalOp(a.map(toFloat64), "+")),
  subf: (a) => {
    arity("subf", a, 1, Number.POSITIVE_INFINITY);
    return decimalOp(a.map(toFloat64), "-");
  },
  mulf: (a) => {
    arity("mulf", a, 1, Number.POSITIVE_INFINITY);
    return decimalOp(a.map(toFloat64), "*");
  },
  divf: (a) => {
    arity("divf", a, 1, Number.POSITIVE_INFINITY);
    const vals = a.map(toFloat64);
    let acc = vals[0]!;
    for (const v of vals.slice(1)) {
      if (v === 0) throw new TemplateExecError("error calling divf: decimal division by 0");
      acc /= v;
    }
    return acc;
  },
  maxf: floatFold("maxf", Math.max),
  minf: floatFold("minf", Math.min),
  ceil: (a) => {
    arity("ceil", a, 1);
    return Math.ceil(toFloat64(a[0]));
  },
  floor: (a) => {
    arity("floor", a, 1);
    return Math.floor(toFloat64(a[0]));
  },
  round: (a) => {
    arity("round", a, 2, 3);
    return round(toFloat64(a[0]), int("round", a[1]), a.length > 2 ? toFloat64(a[2]) : 0.5);
  },
};

function replaceN(s: string, old: string, repl: string, n: number): string {
  if (old === "") {
    // Go inserts `repl` before every code point and at the end, up to n times.
    const chars = [...s];
    let out = "";
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (done < n) {
        out += repl;
        done++;
      }
      out += chars[i] ?? "";
      checkLength("replace", out.length);
    }
    return out;
  }
  let out = "";
  let from = 0;
  for (let done = 0; done < n; done++) {
    const at = s.indexOf(old, from);
    if (at < 0) break;
    out += s.slice(from, at) + repl;
    checkLength("replace", out.length);
    from = at + old.length;
  }
  return out + s.slice(from);
}

function durationSeconds(name: string, s: string): number {
  const ns = parseGoDuration(s);
  if (ns === undefined)
    throw new TemplateExecError(`error calling ${name}: time: invalid duration ${JSON.stringify(s)}`);
  return ns / 1e9;
}

function parseOrZero(layout: string, value: string, zone: string): GoTime {
  const z = loadZone(zone) ?? loadZone("UTC")!;
  try {
    return parseTime(layout, value, z);
  } catch (e) {
    if (e instanceof TimeParseError) return GoTime.ZERO;
    throw e;
  }
}

function fromJson(s: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return undefined;
  }
  return fromJsonValue(parsed);
}

function fromJsonValue(v: unknown): Value {
  if (v === null) return undefined;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(fromJsonValue);
  const m = new Map<string, Value>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) m.set(k, fromJsonValue(x));
  return m;
}
