/**
 * IP address matching for LogQL's `ip("…")` line and label filters: a single address, a range
 * `a-b` (inclusive) or a CIDR `a/n`, in IPv4 or IPv6. An IPv4 pattern matches only IPv4 addresses and
 * an IPv6 pattern only IPv6 addresses.
 */

/** A parsed address: its family and its value as an unsigned integer. */
export interface IPAddress {
  readonly v6: boolean;
  readonly n: bigint;
}

/** Parses a dotted-quad IPv4 or an IPv6 address (with `::` and an IPv4 tail); undefined if invalid. */
export function parseIP(text: string): IPAddress | undefined {
  if (text.includes(":")) {
    const n = parseIPv6(text);
    return n === undefined ? undefined : { v6: true, n };
  }
  const n = parseIPv4(text);
  return n === undefined ? undefined : { v6: false, n: BigInt(n) };
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return undefined;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) n = (n << 16n) | BigInt(g);
  return n;
}

/** A compiled `ip("…")` pattern. */
export interface IPMatcher {
  /** Whether `text` is an address inside the pattern. */
  matchesText(text: string): boolean;
}

/** Compiles an `ip("…")` pattern; throws for an invalid one. */
export function compileIPPattern(pattern: string): IPMatcher {
  let lo: IPAddress | undefined;
  let hi: IPAddress | undefined;
  const slash = pattern.indexOf("/");
  const dash = pattern.indexOf("-");
  if (slash >= 0) {
    const base = parseIP(pattern.slice(0, slash));
    const bitsText = pattern.slice(slash + 1);
    const width = base?.v6 ? 128 : 32;
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if (base === undefined || bits < 0 || bits > width)
      throw new Error(`invalid CIDR in ip(${JSON.stringify(pattern)})`);
    const hostBits = BigInt(width - bits);
    const mask = (1n << hostBits) - 1n;
    lo = { v6: base.v6, n: base.n & ~mask };
    hi = { v6: base.v6, n: (base.n & ~mask) | mask };
  } else if (dash >= 0) {
    lo = parseIP(pattern.slice(0, dash));
    hi = parseIP(pattern.slice(dash + 1));
    if (lo === undefined || hi === undefined || lo.v6 !== hi.v6 || lo.n > hi.n)
      throw new Error(`invalid IP range in ip(${JSON.stringify(pattern)})`);
  } else {
    lo = hi = parseIP(pattern);
    if (lo === undefined) throw new Error(`invalid IP address in ip(${JSON.stringify(pattern)})`);
  }
  const v6 = lo.v6;
  const min = lo.n;
  const max = hi!.n;
  return {
    matchesText(text: string): boolean {
      const a = parseIP(text);
      return a !== undefined && a.v6 === v6 && a.n >= min && a.n <= max;
    },
  };
}

/** Runs of characters that can make up an address; each is tried as one. */
const CANDIDATE = /[0-9A-Fa-f:.]+/g;

/** Whether `line` contains an address inside `m` (a word of the line, not part of a longer one). */
export function lineHasIP(m: IPMatcher, line: string): boolean {
  CANDIDATE.lastIndex = 0;
  for (let r = CANDIDATE.exec(line); r !== null; r = CANDIDATE.exec(line)) {
    const word = r[0];
    if (word.length < 2) continue;
    if (m.matchesText(word)) return true;
    // A sentence may end right after an address: "from 10.0.0.1."
    const trimmed = word.replace(/[.:]+$/, "");
    if (trimmed !== word && m.matchesText(trimmed)) return true;
  }
  return false;
}
