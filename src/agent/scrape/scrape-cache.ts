import { hashLabels } from "../../model/label-hash.js";
import type { Labels } from "../../model/labels.js";
import type { BatchBuilder } from "./batch-builder.js";

/** A final (stored) label set a loop has produced, shared by every raw text that maps to it. */
export interface TrackedSeries {
  readonly labels: Labels;
  /** {@link seriesKey} of `labels`. */
  readonly key: number;
  /** The scrape iteration that last emitted this series (duplicate detection and staleness). */
  seenIter: number;
}

/** What the cache knows about one raw series text. */
export interface CacheEntry {
  /** Its final series, or `null` when `metric_relabel_configs` drop it. */
  readonly series: TrackedSeries | null;
  /** The scrape iteration that last saw this text. */
  lastIter: number;
}

/**
 * Prometheus's scrape cache for one target: raw series text (the name and labels exactly as the
 * target wrote them) → final label set after target labels, metric relabelling and agent labels. A
 * steady target therefore parses, relabels and builds each label set once, not once per scrape.
 *
 * Entries not seen in a successful non-empty scrape are flushed after it (`iterDone(true)` in
 * Prometheus); a failed scrape keeps them, unless the cache has grown past twice its last successful
 * size plus 1,000 (varying series in failing scrapes must not grow it forever). So, as in Prometheus,
 * `scrape_series_added` counts cache misses: raw texts not seen in the last successful scrape (a
 * series whose text changes, e.g. reordered labels, counts as added).
 *
 * Staleness is tracked separately by final label set: the series emitted by the previous scrape
 * (`seriesPrev`), minus those emitted by this one, get a stale marker.
 */
export class ScrapeCache {
  /** The current scrape iteration; starts at 1 so that `seenIter` 0 means "never". */
  iter = 1;
  readonly #entries = new Map<string, CacheEntry>();
  /**
   * Final label sets, by {@link seriesKey} (a number, so that no key string is built and kept per
   * series; sets that share one are kept in an array), so that raw texts with the same outcome
   * share one series.
   */
  readonly #series = new Map<number, TrackedSeries | TrackedSeries[]>();
  #successfulCount = 0;
  /**
   * Tracked series in `#series`, and the entries and series marked seen in this iteration: a flush
   * with nothing to drop skips its scan.
   */
  #seriesCount = 0;
  #seenEntries = 0;
  #seenSeries = 0;
  /**
   * Series the previous scrape emitted, and those this scrape emitted so far (staleness-tracked
   * only): the first `#prevLength` and `#curLength` elements. The two arrays are swapped and
   * overwritten, never emptied with `length = 0`, which would free their storage and make each
   * scrape grow a new one that lives for exactly one interval — long enough to be promoted to the
   * old generation, where it becomes garbage only a full mark-compact reclaims.
   */
  #prev: (TrackedSeries | undefined)[] = [];
  #prevLength = 0;
  #cur: (TrackedSeries | undefined)[] = [];
  #curLength = 0;

  /** The entry for a raw series text, marked seen in this iteration; `undefined` on a miss. */
  get(raw: string): CacheEntry | undefined {
    const e = this.#entries.get(raw);
    if (e !== undefined && e.lastIter !== this.iter) {
      e.lastIter = this.iter;
      this.#seenEntries++;
    }
    return e;
  }

  /** Records a miss's outcome (`null`: dropped). `raw` must not share memory with a big body. */
  add(raw: string, labels: Labels | null): CacheEntry {
    const series = labels === null ? null : this.#track(labels);
    const e: CacheEntry = { series, lastIter: this.iter };
    this.#entries.set(raw, e);
    this.#seenEntries++;
    return e;
  }

  /**
   * Marks `series` emitted by this scrape; `false` when it already was (a duplicate, which the
   * caller drops). Only `tracked` series get a stale marker when they disappear.
   */
  emit(series: TrackedSeries, tracked: boolean): boolean {
    if (series.seenIter === this.iter) return false;
    series.seenIter = this.iter;
    this.#seenSeries++;
    if (tracked) this.#cur[this.#curLength++] = series;
    return true;
  }

  /**
   * Ends a successful scrape: appends stale markers at `t` for the previous scrape's series this one
   * did not emit, flushes unseen entries when the body was not empty, and starts the next iteration.
   */
  succeeded(batch: BatchBuilder, t: number, emptyBody: boolean): void {
    const prev = this.#prev;
    for (let i = 0; i < this.#prevLength; i++) {
      const s = prev[i]!;
      if (s.seenIter !== this.iter) batch.pushStale(s.labels, t);
    }
    this.#swap();
    this.#iterDone(!emptyBody);
  }

  /** Ends a failed scrape: every series of the previous scrape gets a stale marker at `t`. */
  failed(batch: BatchBuilder, t: number): void {
    const prev = this.#prev;
    for (let i = 0; i < this.#prevLength; i++) batch.pushStale(prev[i]!.labels, t);
    this.#prevLength = 0;
    this.#curLength = 0;
    this.#iterDone(false);
  }

  /** Stale markers at `t` for every series of the last scrape (the target went away); forgets them. */
  staleAll(batch: BatchBuilder, t: number): void {
    this.failed(batch, t);
  }

  /** Series of the last scrape, for a loop taking over from this one (options changed). */
  lastSeries(): readonly TrackedSeries[] {
    return this.#prev.slice(0, this.#prevLength) as TrackedSeries[];
  }

  /**
   * Adopts another loop's last series as this one's previous scrape, so that series which vanish
   * across a configuration change still get stale markers and those which persist do not.
   */
  inherit(series: readonly TrackedSeries[]): void {
    for (const s of series) this.#prev[this.#prevLength++] = this.#track(s.labels);
  }

  /** The series of final label set `labels`, added when new. */
  #track(labels: Labels): TrackedSeries {
    const key = seriesKey(labels);
    const held = this.#series.get(key);
    if (held !== undefined) {
      if (!Array.isArray(held)) {
        if (held.labels.equals(labels)) return held;
      } else {
        for (const s of held) if (s.labels.equals(labels)) return s;
      }
    }
    const s: TrackedSeries = { labels, key, seenIter: 0 };
    this.#seriesCount++;
    if (held === undefined) this.#series.set(key, s);
    else if (Array.isArray(held)) held.push(s);
    else this.#series.set(key, [held, s]);
    return s;
  }

  #dropUnseenSeries(iter: number): void {
    for (const [key, held] of this.#series) {
      if (!Array.isArray(held)) {
        if (held.seenIter !== iter) {
          this.#series.delete(key);
          this.#seriesCount--;
        }
        continue;
      }
      const kept = held.filter((s) => s.seenIter === iter);
      this.#seriesCount -= held.length - kept.length;
      if (kept.length === 0) this.#series.delete(key);
      else this.#series.set(key, kept.length === 1 ? kept[0]! : kept);
    }
  }

  /**
   * This scrape's series become the previous ones. Slots past the new length that still point at
   * series are cleared, so that a shrunken target does not keep dropped series alive.
   */
  #swap(): void {
    const prev = this.#prev;
    this.#prev = this.#cur;
    this.#prevLength = this.#curLength;
    this.#cur = prev;
    this.#curLength = 0;
    const next = this.#prev;
    for (let i = this.#prevLength; i < next.length && next[i] !== undefined; i++) next[i] = undefined;
  }

  #iterDone(flush: boolean): void {
    if (flush) this.#successfulCount = this.#entries.size;
    else if (this.#entries.size > this.#successfulCount * 2 + 1000) flush = true;
    if (flush) {
      const iter = this.iter;
      if (this.#seenEntries < this.#entries.size) {
        for (const [raw, e] of this.#entries) if (e.lastIter !== iter) this.#entries.delete(raw);
      }
      // After a success every previous series was seen in this iteration; after a failure only
      // those emitted before it failed are kept.
      if (this.#seenSeries < this.#seriesCount) this.#dropUnseenSeries(iter);
    }
    this.iter++;
    this.#seenEntries = 0;
    this.#seenSeries = 0;
  }
}

/** A label set's hash cut to 30 bits, which V8 keeps in a map without a number object per key. */
function seriesKey(labels: Labels): number {
  return hashLabels(labels) & 0x3fffffff;
}
