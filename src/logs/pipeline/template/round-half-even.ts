/**
 * Decimal formatting of a non-negative finite double with Go's rounding: the exact binary value
 * is rounded half to even (`%.1f` of 2.25 is `2.2`), where JavaScript's `toFixed` and
 * `toExponential` round exact ties up. Ties are detected from 100 exact digits, which covers
 * every double of magnitude above about 1e-50.
 */
export function toFixedEven(a: number, prec: number): string {
  if (a >= 1e21) return BigInt(a).toString() + (prec > 0 ? `.${"0".repeat(prec)}` : "");
  const js = a.toFixed(prec);
  if (prec >= 100) return js;
  const long = a.toFixed(100);
  const dot = long.indexOf(".");
  const cut = prec === 0 ? dot : dot + 1 + prec;
  if (!/^50*$/.test(long.slice(cut).replace(".", ""))) return js;
  const truncated = long.slice(0, cut);
  const last = truncated.replace(".", "").at(-1) ?? "0";
  return Number(last) % 2 === 0 ? truncated : js;
}

/** `a.toExponential(prec)` with Go's half-to-even rounding; returns mantissa digits text and exponent. */
export function toExponentialEven(a: number, prec: number): { mantissa: string; exp: number } {
  const split = (s: string) => {
    const [m, e] = s.split("e") as [string, string];
    return { mantissa: m, exp: Number(e) };
  };
  const js = split(a.toExponential(prec));
  if (prec >= 100 || a === 0) return js;
  const long = split(a.toExponential(100));
  const digits = long.mantissa.replace(".", "");
  if (!/^50*$/.test(digits.slice(prec + 1))) return js;
  const kept = digits.slice(0, prec + 1);
  if (Number(kept.at(-1)) % 2 !== 0) return js;
  return { mantissa: prec === 0 ? kept : `${kept[0]}.${kept.slice(1)}`, exp: long.exp };
}
