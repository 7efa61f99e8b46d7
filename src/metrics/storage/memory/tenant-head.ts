import { Labels, METRIC_NAME } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";
import type { SeriesLimiter } from "../../limits/index.js";
import { AppendError } from "../interface.js";
import { MemSeries, sameBits } from "./mem-series.js";

/**
 * All series of one tenant, in memory, with an inverted index (label name → value → series refs)
 * so that matchers are answered from the index rather than by scanning every series.
 */
export class TenantHead {
  readonly #byKey = new Map<string, MemSeries>();
  readonly #byRef = new Map<number, MemSeries>();
  /** name → value → refs, refs in creation order (ascending). */
  readonly #postings = new Map<string, Map<string, number[]>>();
  #nextRef = 1;
  /** Samples held, for stats. */
  samples = 0;

  constructor(
    readonly tenant: string,
    private readonly limiter: SeriesLimiter,
  ) {}

  /** Number of series. */
  get seriesCount(): number {
    return this.#byKey.size;
  }

  /** The series with these labels, if any. */
  get(labels: Labels): MemSeries | undefined {
    return this.#byKey.get(labels.key());
  }

  /** Checks that a sample may be appended after `lastT`/`lastV`; throws AppendError otherwise. */
  static checkOrder(
    labels: Labels,
    lastT: number,
    lastV: number | undefined,
    t: number,
    v: number,
  ): "append" | "skip" {
    if (t > lastT) return "append";
    if (t === lastT) {
      if (lastV !== undefined && sameBits(lastV, v)) return "skip";
      throw new AppendError(
        "duplicate_different_value",
        `duplicate sample for timestamp ${t} with a different value in series ${labels.toString()}`,
      );
    }
    throw new AppendError(
      "out_of_order",
      `out of order sample: timestamp ${t} is older than the newest sample (${lastT}) of series ${labels.toString()}`,
    );
  }

  /**
   * Counts a series about to be created against the tenant's series limits; throws an AppendError
   * naming the limit when it is refused. Pair with {@link append} (which creates it) or {@link unadmit}.
   */
  admit(labels: Labels): void {
    const problem = this.limiter.admit(labels);
    if (problem !== undefined) throw new AppendError("limit", problem);
  }

  /** Uncounts an admitted series that was not created after all (a rolled-back batch). */
  unadmit(labels: Labels): void {
    this.limiter.release(labels);
  }

  /** Appends (creating the series if new, admitted before). The caller has checked the order. */
  append(labels: Labels, t: number, v: number): void {
    let s = this.#byKey.get(labels.key());
    if (!s) s = this.#create(labels);
    s.push(t, v);
    this.samples++;
  }

  /** Series matching every matcher, sorted by labels. */
  select(matchers: readonly Matcher[]): MemSeries[] {
    let refs: Set<number> | undefined;
    const filters: Matcher[] = [];
    // Narrow with the index: a matcher that does not match "" needs the label, so its postings bound the result.
    for (const m of matchers) {
      if (m.matchesEmpty()) {
        filters.push(m);
        continue;
      }
      const values = this.#postings.get(m.name);
      const hit = new Set<number>();
      if (values) {
        if (m.type === "=") for (const r of values.get(m.value) ?? []) hit.add(r);
        else for (const [value, rs] of values) if (m.matches(value)) for (const r of rs) hit.add(r);
      }
      refs = refs ? intersect(refs, hit) : hit;
      if (refs.size === 0) return [];
    }
    const candidates = refs ? [...refs].map((r) => this.#byRef.get(r)!) : [...this.#byRef.values()];
    const out = candidates.filter((s) => filters.every((m) => m.matches(s.labels.get(m.name))));
    out.sort((a, b) => Labels.compare(a.labels, b.labels));
    return out;
  }

  /** Drops samples older than `mint` and series left empty. */
  truncateBefore(mint: number): void {
    for (const s of this.#byRef.values()) {
      this.samples -= s.truncateBefore(mint);
      if (s.length === 0) this.#delete(s);
    }
  }

  #create(labels: Labels): MemSeries {
    const s = new MemSeries(this.#nextRef++, labels);
    this.#byKey.set(labels.key(), s);
    this.#byRef.set(s.ref, s);
    labels.forEach((name, value) => {
      let values = this.#postings.get(name);
      if (!values) {
        values = new Map();
        this.#postings.set(name, values);
      }
      const refs = values.get(value);
      if (refs) refs.push(s.ref);
      else values.set(value, [s.ref]);
    });
    return s;
  }

  #delete(s: MemSeries): void {
    this.limiter.release(s.labels);
    this.#byKey.delete(s.labels.key());
    this.#byRef.delete(s.ref);
    s.labels.forEach((name, value) => {
      const values = this.#postings.get(name);
      const refs = values?.get(value);
      if (!values || !refs) return;
      const i = refs.indexOf(s.ref);
      if (i >= 0) refs.splice(i, 1);
      if (refs.length === 0) values.delete(value);
      if (values.size === 0) this.#postings.delete(name);
    });
  }

  /** Number of series per metric name, for stats. */
  metricNames(): number {
    return this.#postings.get(METRIC_NAME)?.size ?? 0;
  }
}

function intersect(a: Set<number>, b: Set<number>): Set<number> {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<number>();
  for (const x of small) if (big.has(x)) out.add(x);
  return out;
}
