import type { Ctx } from "../../../model/context.js";
import type { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import type {
  Appendable,
  Appender,
  Querier,
  Queryable,
  SelectHints,
  Series,
  SeriesSet,
} from "../interface.js";
import { MergeQuerier } from "../merge-querier.js";
import { ArraySeriesSet } from "../series-set.js";
import type { MemSeries } from "./mem-series.js";
import { TenantHead } from "./tenant-head.js";

/** Per-tenant figures for the fleet view and self-metrics. */
export interface TenantStats {
  readonly tenant: string;
  readonly activeSeries: number;
  readonly samples: number;
}

/**
 * The walking skeleton's metrics store: every tenant's series in memory, nothing on disk. It keeps
 * the Appender/Querier contracts so the TSDB can replace it without touching the callers. Samples
 * older than `retentionMs` are dropped by {@link truncate}.
 */
export class MemoryStorage implements Appendable, Queryable {
  readonly #tenants = new Map<string, TenantHead>();

  constructor(
    private readonly retentionMs: number,
    private readonly limits: TenantLimits = new TenantLimits(DEFAULT_LIMITS),
  ) {}

  appender(ctx: Ctx): Appender {
    if (ctx.tenants.length !== 1)
      throw new Error(`a write needs exactly one tenant, got ${ctx.tenants.length}`);
    return new MemAppender(this.#head(ctx.tenants[0]!));
  }

  querier(ctx: Ctx, mint: number, maxt: number): Querier {
    const queriers = ctx.tenants.map((t) => new MemQuerier(this.#tenants.get(t), mint, maxt));
    return queriers.length === 1 ? queriers[0]! : new MergeQuerier(queriers);
  }

  /** Drops samples older than the retention, relative to `nowMs`. */
  truncate(nowMs: number): void {
    for (const head of this.#tenants.values()) head.truncateBefore(nowMs - this.retentionMs);
  }

  /** Figures for every tenant that has data. */
  stats(): TenantStats[] {
    return [...this.#tenants.values()].map((h) => ({
      tenant: h.tenant,
      activeSeries: h.seriesCount,
      samples: h.samples,
    }));
  }

  #head(tenant: string): TenantHead {
    let head = this.#tenants.get(tenant);
    if (!head) {
      head = new TenantHead(tenant, new SeriesLimiter(tenant, this.limits));
      this.#tenants.set(tenant, head);
    }
    return head;
  }
}

interface Pending {
  labels: Labels;
  lastT: number;
  lastV: number | undefined;
  n: number;
  ts: Float64Array;
  /** A typed array, not number[]: V8 canonicalises NaN payloads in plain arrays, losing the stale marker. */
  vs: Float64Array;
}

/** Buffers a batch and applies it on commit; order is checked against the head and within the batch. */
class MemAppender implements Appender {
  #pending = new Map<string, Pending>();
  /** New series counted against the limits by this batch, uncounted again on rollback. */
  #admitted: Labels[] = [];

  constructor(private readonly head: TenantHead) {}

  append(labels: Labels, t: number, v: number): void {
    const key = labels.key();
    let p = this.#pending.get(key);
    if (!p) {
      const s = this.head.get(labels);
      if (!s) {
        this.head.admit(labels);
        this.#admitted.push(labels);
      }
      p = {
        labels,
        lastT: s ? s.lastT : Number.NEGATIVE_INFINITY,
        lastV: s?.lastV,
        n: 0,
        ts: new Float64Array(4),
        vs: new Float64Array(4),
      };
      this.#pending.set(key, p);
    }
    if (TenantHead.checkOrder(labels, p.lastT, p.lastV, t, v) === "skip") return;
    if (p.n === p.ts.length) {
      p.ts = grow(p.ts);
      p.vs = grow(p.vs);
    }
    p.ts[p.n] = t;
    p.vs[p.n] = v;
    p.n++;
    p.lastT = t;
    p.lastV = v;
  }

  async commit(): Promise<void> {
    for (const p of this.#pending.values()) {
      for (let i = 0; i < p.n; i++) this.head.append(p.labels, p.ts[i]!, p.vs[i]!);
    }
    this.#pending = new Map();
    this.#admitted = [];
  }

  rollback(): void {
    for (const labels of this.#admitted) this.head.unadmit(labels);
    this.#pending = new Map();
    this.#admitted = [];
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

class MemQuerier implements Querier {
  constructor(
    private readonly head: TenantHead | undefined,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet> {
    if (matchers.length === 0) throw new Error("select needs at least one matcher");
    if (!this.head) return new ArraySeriesSet([]);
    const mint = Math.max(this.mint, hints?.start ?? this.mint);
    const maxt = Math.min(this.maxt, hints?.end ?? this.maxt);
    const found = this.head.select(matchers).filter((s) => hasDataIn(s, mint, maxt));
    const limit = hints?.limit ?? 0;
    const warnings =
      limit > 0 && found.length > limit
        ? [`results truncated to ${limit} series by the limit parameter`]
        : [];
    const chosen = limit > 0 ? found.slice(0, limit) : found;
    const series: Series[] = chosen.map((s) => ({
      labels: s.labels,
      iterator: () => s.iterator(mint, maxt),
    }));
    return new ArraySeriesSet(series, warnings);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.#matching(matchers))
      s.labels.forEach((n) => {
        names.add(n);
      });
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    const values = new Set<string>();
    for (const s of this.#matching(matchers)) {
      const v = s.labels.get(name);
      if (v !== "") values.add(v);
    }
    return [...values].sort();
  }

  close(): void {}

  #matching(matchers: readonly Matcher[]): MemSeries[] {
    if (!this.head) return [];
    const all = matchers.length > 0 ? this.head.select(matchers) : this.head.select([]);
    return all.filter((s) => hasDataIn(s, this.mint, this.maxt));
  }
}

function hasDataIn(s: MemSeries, mint: number, maxt: number): boolean {
  return s.iterator(mint, maxt).next();
}
