/** The reserved label that holds a series' metric name. */
export const METRIC_NAME = "__name__";

const SEP = "\xff";

/**
 * An immutable label set: name/value pairs sorted by name, names unique, no empty values.
 *
 * Stored as one flat array `[name0, value0, name1, value1, …]` so that a label set is a single
 * allocation. Build one with {@link Labels.fromRecord}, {@link Labels.fromPairs} or {@link LabelsBuilder}.
 */
export class Labels {
  /** The empty label set. */
  static readonly EMPTY = new Labels([]);

  #key: string | undefined;

  private constructor(
    /** Flat, sorted `[name, value, …]` pairs. Never mutate. */
    readonly pairs: readonly string[],
  ) {}

  /** From a record; empty values are dropped (an empty value means "no such label"). */
  static fromRecord(record: Readonly<Record<string, string>>): Labels {
    const flat: string[] = [];
    for (const name of Object.keys(record)) {
      const value = record[name];
      if (value !== undefined && value !== "") flat.push(name, value);
    }
    return Labels.fromPairs(flat);
  }

  /**
   * From flat `[name, value, …]` pairs in any order. Empty values are dropped; a repeated name keeps
   * the last value. The array is not retained.
   */
  static fromPairs(flat: readonly string[]): Labels {
    if (flat.length % 2 !== 0) throw new Error("Labels.fromPairs: odd number of strings");
    const idx: number[] = [];
    for (let i = 0; i < flat.length; i += 2) idx.push(i);
    idx.sort((a, b) => cmp(flat[a]!, flat[b]!) || a - b);
    const out: string[] = [];
    for (const i of idx) {
      const name = flat[i]!;
      const value = flat[i + 1]!;
      if (out.length > 0 && out[out.length - 2] === name) {
        out.length -= 2;
      }
      if (value !== "") out.push(name, value);
    }
    return new Labels(out);
  }

  /** Wraps pairs already sorted by unique name with no empty values; the caller hands over ownership. */
  static fromSortedPairsUnsafe(flat: string[]): Labels {
    return new Labels(flat);
  }

  /** Number of labels. */
  get size(): number {
    return this.pairs.length >> 1;
  }

  /** The value of `name`, or `""` when absent (Prometheus's convention). */
  get(name: string): string {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) {
      const c = cmp(p[i]!, name);
      if (c === 0) return p[i + 1]!;
      if (c > 0) break;
    }
    return "";
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== "";
  }

  /** Calls `fn` for each label in name order. */
  forEach(fn: (name: string, value: string) => void): void {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) fn(p[i]!, p[i + 1]!);
  }

  /** A plain object, e.g. for JSON (`{"__name__":"up","job":"x"}`). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) out[p[i]!] = p[i + 1]!;
    return out;
  }

  /** A string that is equal for equal label sets and different otherwise; cached. Use as a Map key. */
  key(): string {
    this.#key ??= this.pairs.join(SEP);
    return this.#key;
  }

  /** A copy with `name` set to `value` (or removed when `value` is empty). */
  with(name: string, value: string): Labels {
    return Labels.fromPairs([...this.pairs, name, value]);
  }

  /** A copy without the given names. */
  without(names: ReadonlySet<string>): Labels {
    const out: string[] = [];
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (!names.has(p[i]!)) out.push(p[i]!, p[i + 1]!);
    return new Labels(out);
  }

  /** A copy with only the given names. */
  keep(names: ReadonlySet<string>): Labels {
    const out: string[] = [];
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (names.has(p[i]!)) out.push(p[i]!, p[i + 1]!);
    return new Labels(out);
  }

  /** Whether both sets hold the same pairs. */
  equals(other: Labels): boolean {
    if (this === other) return true;
    const a = this.pairs;
    const b = other.pairs;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Prometheus's text form: `up{job="x"}`. */
  toString(): string {
    const name = this.get(METRIC_NAME);
    const parts: string[] = [];
    this.forEach((n, v) => {
      if (n !== METRIC_NAME) parts.push(`${n}=${JSON.stringify(v)}`);
    });
    return parts.length === 0 && name !== "" ? name : `${name}{${parts.join(", ")}}`;
  }

  /** Orders label sets as Prometheus does: pairwise by name, then value; shorter first. */
  static compare(a: Labels, b: Labels): number {
    const x = a.pairs;
    const y = b.pairs;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i += 2) {
      const c = cmp(x[i]!, y[i]!) || cmp(x[i + 1]!, y[i + 1]!);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
}

/** Byte-order comparison of two strings (code-unit order, as Go compares UTF-8 for BMP text). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
