import { TemplateExecError } from "./errors.js";

/** Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the rest `%XX`. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Go's `url.QueryUnescape`; throws {@link TemplateExecError} on a bad `%` escape. */
export function queryUnescape(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, "utf8");
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25) {
      const hex = raw.subarray(i + 1, i + 3).toString("latin1");
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new TemplateExecError(
          `error calling urldecode: invalid URL escape ${JSON.stringify(`%${hex}`)}`,
        );
      }
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(b === 0x2b ? 0x20 : b);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Go's `strings.Title`: upper-cases the first letter of each word; words break at spaces and punctuation. */
export function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (ch.codePointAt(0)! <= 0x7f) return !/[A-Za-z0-9_]/.test(ch);
  if (/[\p{L}\p{N}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** Go's `strings.Trim`/`TrimLeft`/`TrimRight` with a cutset of code points. */
export function trimCutset(s: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(cutset);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a]!)) a++;
  if (right) while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join("");
}

/** Go's `strings.TrimSpace` (Unicode white space). */
export function trimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, "");
}

/**
 * Go's `Regexp.Expand` of a replacement: `$1`, `${1}`, `$name`, `${name}`; `$$` is a dollar; an
 * unknown group expands to ""; a `$` not followed by a name stays literal.
 */
export function expandReplacement(repl: string, m: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    if (repl[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (repl[i + 1] === "{") {
      const close = repl.indexOf("}", i + 2);
      const n = close < 0 ? "" : repl.slice(i + 2, close);
      if (/^[A-Za-z0-9_]+$/.test(n)) {
        name = n;
        end = close + 1;
      }
    } else {
      const w = /^[A-Za-z0-9_]+/.exec(repl.slice(i + 1));
      if (w !== null) {
        name = w[0];
        end = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += "$";
      continue;
    }
    if (/^[0-9]+$/.test(name)) out += m[Number(name)] ?? "";
    else out += m.groups?.[name] ?? "";
    i = end - 1;
  }
  return out;
}

/** Go's `humanize.ParseBytes`: `2 KB` = 2000, `2 KiB` = 2048, `42` = 42; undefined if malformed. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*([0-9.,]*[0-9])\s*([A-Za-z]*)\s*$/.exec(s);
  if (m === null) return undefined;
  const n = Number(m[1]!.replaceAll(",", ""));
  if (Number.isNaN(n)) return undefined;
  const unit = m[2]!.toLowerCase();
  const si = ["", "k", "m", "g", "t", "p", "e"];
  let mult: number | undefined;
  if (unit === "" || unit === "b") mult = 1;
  else {
    const u = /^([kmgtpe])(i?)(b?)$/.exec(unit);
    if (u !== null) mult = (u[2] === "i" ? 1024 : 1000) ** si.indexOf(u[1]!);
  }
  if (mult === undefined) return undefined;
  return Math.floor(n * mult);
}
