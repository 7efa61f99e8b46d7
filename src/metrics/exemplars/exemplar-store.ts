import { Labels } from "../../model/labels.js";
import type { Matcher } from "../../model/matcher.js";
import type { TenantLimits } from "../limits/index.js";

/** Most UTF-8 characters an exemplar's label names and values may hold in all (Prometheus's `ExemplarMaxLabelSetLength`). */
export const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** What became of an exemplar given to {@link ExemplarStore.append}. */
export type ExemplarOutcome =
  | "appended"
  /** The same as the series' newest exemplar: a sender's retry; nothing to do. */
  | "duplicate"
  /** Not newer than the series' newest exemplar. */
  | "out_of_order"
  /** Labels longer than {@link MAX_EXEMPLAR_LABEL_CHARS}. */
  | "labels_too_long"
  /** The tenant keeps no exemplars (`max_exemplars` is 0). */
  | "disabled";

/** One exemplar of a query answer. Timestamps are Unix ms. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  readonly t: number;
}

/** The exemplars of one series in a time range, oldest first. */
export interface SeriesExemplars {
  readonly seriesLabels: Labels;
  readonly exemplars: Exemplar[];
}

/** A series that has exemplars in a tenant's ring, with the ring slots of its oldest and newest. */
interface SeriesEntry {
  readonly labels: Labels;
  oldest: number;
  newest: number;
}

const NONE = -1;
const INITIAL_SLOTS = 1024;

/**
 * One tenant's exemplars: a circular buffer of `capacity` slots shared by all its series, as
 * Prometheus's `CircularExemplarStorage`; each series links its exemplars oldest to newest through
 * the slots, and the newest exemplar overwrites the oldest of all. Columns grow to the capacity as
 * they fill, so an idle tenant costs little.
 */
class ExemplarRing {
  #ts = new Float64Array(0);
  #values = new Float64Array(0);
  #next = new Int32Array(0);
  #labels: (Labels | undefined)[] = [];
  #owner: (SeriesEntry | undefined)[] = [];
  /** Slots used so far (≤ capacity); after that the ring overwrites from {@link #head}. */
  #used = 0;
  #head = 0;
  readonly series = new Map<string, SeriesEntry>();

  constructor(readonly capacity: number) {}

  /** Exemplars held: every slot used so far holds one (a slot is reused as soon as it is freed). */
  get size(): number {
    return this.#used;
  }

  append(series: Labels, labels: Labels, value: number, t: number): ExemplarOutcome {
    const key = series.key();
    const known = this.series.get(key);
    if (known !== undefined) {
      const n = known.newest;
      if (this.#ts[n] === t && this.#values[n] === value && this.#labels[n]!.equals(labels))
        return "duplicate";
      if (t <= this.#ts[n]!) return "out_of_order";
    }
    const slot = this.#take();
    // Taking the slot may have removed the series (the slot held its only exemplar).
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels: series, oldest: slot, newest: slot };
      this.series.set(key, entry);
    } else {
      this.#next[entry.newest] = slot;
      entry.newest = slot;
    }
    this.#ts[slot] = t;
    this.#values[slot] = value;
    this.#labels[slot] = labels;
    this.#next[slot] = NONE;
    this.#owner[slot] = entry;
    return "appended";
  }

  /** Exemplars of the series matching any of `matcherSets`, with `start ≤ t ≤ end`. */
  select(start: number, end: number, matcherSets: readonly (readonly Matcher[])[]): SeriesExemplars[] {
    const out: SeriesExemplars[] = [];
    for (const entry of this.series.values()) {
      if (this.#ts[entry.oldest]! > end || this.#ts[entry.newest]! < start) continue;
      if (!matcherSets.some((set) => set.every((m) => m.matches(entry.labels.get(m.name))))) continue;
      const exemplars: Exemplar[] = [];
      for (let s = entry.oldest; s !== NONE && this.#ts[s]! <= end; s = this.#next[s]!) {
        if (this.#ts[s]! >= start)
          exemplars.push({ labels: this.#labels[s]!, value: this.#values[s]!, t: this.#ts[s]! });
      }
      if (exemplars.length > 0) out.push({ seriesLabels: entry.labels, exemplars });
    }
    return out;
  }

  /** A free slot: the next unused one, or the oldest of all, unlinked from its series. */
  #take(): number {
    if (this.#used < this.capacity) {
      if (this.#used === this.#ts.length) this.#grow();
      return this.#used++;
    }
    const slot = this.#head;
    this.#head = (slot + 1) % this.capacity;
    const owner = this.#owner[slot]!;
    // The slot holds the owner's oldest exemplar (the ring overwrites in append order).
    if (owner.newest === slot) this.series.delete(owner.labels.key());
    else owner.oldest = this.#next[slot]!;
    this.#labels[slot] = undefined;
    this.#owner[slot] = undefined;
    return slot;
  }

  #grow(): void {
    const size = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.#ts.length * 2));
    const ts = new Float64Array(size);
    ts.set(this.#ts);
    this.#ts = ts;
    const values = new Float64Array(size);
    values.set(this.#values);
    this.#values = values;
    const next = new Int32Array(size);
    next.set(this.#next);
    this.#next = next;
  }
}

/**
 * The exemplars of every tenant, in memory only: each tenant has a ring of `max_exemplars` slots
 * (its per-tenant limit, read when the tenant's first exemplar arrives), keyed by series labels.
 * Nothing survives a restart. Exemplars of a series must arrive in time order; an exemplar equal to
 * the series' newest is a harmless duplicate.
 */
export class ExemplarStore {
  readonly #tenants = new Map<string, ExemplarRing>();

  constructor(private readonly limits: TenantLimits) {}

  /** Forgets every exemplar of `tenant`. */
  deleteTenant(tenant: string): void {
    this.#tenants.delete(tenant);
  }

  /** Keeps one exemplar of `series` for `tenant`. `value` is float64; `t` Unix ms. */
  append(tenant: string, series: Labels, labels: Labels, value: number, t: number): ExemplarOutcome {
    let ring = this.#tenants.get(tenant);
    if (ring === undefined) {
      const capacity = this.limits.for(tenant).max_exemplars;
      if (capacity <= 0) return "disabled";
      ring = new ExemplarRing(capacity);
      this.#tenants.set(tenant, ring);
    }
    if (labelChars(labels) > MAX_EXEMPLAR_LABEL_CHARS) return "labels_too_long";
    return ring.append(series, labels, value, t);
  }

  /**
   * The exemplars of `tenants`, read as one dataset, of series matching any of `matcherSets`, with
   * `start ≤ t ≤ end` (ms, inclusive): series sorted by labels, each one's exemplars oldest first.
   */
  select(
    tenants: readonly string[],
    start: number,
    end: number,
    matcherSets: readonly (readonly Matcher[])[],
  ): SeriesExemplars[] {
    const found = tenants.flatMap((t) => this.#tenants.get(t)?.select(start, end, matcherSets) ?? []);
    found.sort((a, b) => Labels.compare(a.seriesLabels, b.seriesLabels));
    // The same series in several tenants: one entry, exemplars in time order.
    const out: SeriesExemplars[] = [];
    for (const s of found) {
      const last = out[out.length - 1];
      if (last?.seriesLabels.equals(s.seriesLabels)) {
        last.exemplars.push(...s.exemplars);
        last.exemplars.sort((a, b) => a.t - b.t);
      } else {
        out.push({ seriesLabels: s.seriesLabels, exemplars: [...s.exemplars] });
      }
    }
    return out;
  }

  /** Exemplars `tenant` holds now. */
  size(tenant: string): number {
    return this.#tenants.get(tenant)?.size ?? 0;
  }
}

/** Characters (code points) of every label name and value. */
function labelChars(labels: Labels): number {
  let n = 0;
  for (const s of labels.pairs) {
    n += s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) n--; // a surrogate pair is one character
    }
  }
  return n;
}
