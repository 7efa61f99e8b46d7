/**
 * Lower- and upper-casing as Go's `strings.ToLower` and `strings.ToUpper` do it, which is what the
 * `lowercase` and `uppercase` actions use: each code point is mapped on its own by Unicode's
 * simple case mapping. JavaScript's `toLowerCase`/`toUpperCase` use the full mapping instead, which
 * differs where one character becomes several (`ß` → `SS`, `İ` → `i̇`) and, for lowercase, at a
 * word-final `Σ` (`ς` rather than `σ`).
 */

const NON_ASCII = /[\u0080-\uffff]/;

/** `s` lower-cased one code point at a time, by the simple mapping. */
export function goLowercase(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) {
    const lower = ch.toLowerCase();
    // Only U+0130 (İ) lower-cases to two code points; its simple mapping is a plain "i".
    out += isOneCodePoint(lower) ? lower : ch === "\u0130" ? "i" : ch;
  }
  return out;
}

/** `s` upper-cased one code point at a time, by the simple mapping. */
export function goUppercase(s: string): string {
  if (!NON_ASCII.test(s)) return s.toUpperCase();
  let out = "";
  for (const ch of s) {
    const upper = ch.toUpperCase();
    out += isOneCodePoint(upper) ? upper : simpleUpperOfExpanding(ch);
  }
  return out;
}

function isOneCodePoint(s: string): boolean {
  const cp = s.codePointAt(0);
  return cp !== undefined && s.length === (cp > 0xffff ? 2 : 1);
}

/**
 * The simple upper-case mapping of a character whose full mapping is several code points: the Greek
 * letters with ypogegrammeni map to their title-case forms (ᾀ → ᾈ, ᾳ → ᾼ); the others (ß, ŉ,
 * ligatures, ᾈ itself…) have no simple mapping and stay as they are.
 */
function simpleUpperOfExpanding(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7))
    return String.fromCodePoint(cp + 8);
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return String.fromCodePoint(cp + 9);
  return ch;
}
