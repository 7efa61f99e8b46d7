/**
 * One copy of each distinct label string a scrape pool keeps: a metric name, a label name or a
 * common value shared by thousands of series is held once. Strings come in as slices of a scrape
 * body and go out as flat copies, so a kept label set never pins a body in memory.
 *
 * Bounded: past `limit` distinct strings it starts over. Label sets built before keep their strings
 * (they are only no longer shared with later ones), so churning values such as pod names cannot
 * grow it without end.
 */
export class StringInterner {
  #strings = new Map<string, string>();

  constructor(private readonly limit = 1 << 16) {}

  /** Number of distinct strings held. */
  get size(): number {
    return this.#strings.size;
  }

  /** The held copy of `s`, made when it is new. */
  intern(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size >= this.limit) this.#strings = new Map();
    const copy = flatCopy(s);
    this.#strings.set(copy, copy);
    return copy;
  }
}

/**
 * A copy of `s` that shares no memory with a larger string. V8 makes substrings of 13 or more
 * characters views into their parent; a property key is internalised into a string of its own.
 */
export function flatCopy(s: string): string {
  if (s.length < 13) return s;
  return Object.keys({ [s]: 0 })[0]!;
}
