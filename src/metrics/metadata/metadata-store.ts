import type { TenantLimits } from "../limits/index.js";
import { deleteSnapshot, readSnapshots, type SnapshotEntry, writeSnapshot } from "./metadata-snapshot.js";

/** One metric family's metadata, as `/api/v1/metadata` shows it. */
export interface MetricMetadata {
  /** Prometheus's type name: `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset` or `unknown`. */
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** What `/api/v1/metadata` asks for, with Prometheus's meanings. */
export interface MetadataQuery {
  /** Only this family; "" for every family. */
  readonly metric: string;
  /** Most families answered; negative for all (0 answers none). */
  readonly limit: number;
  /** Most entries per family; 0 or negative for all. */
  readonly limitPerMetric: number;
}

/** One family of an answer, with its distinct entries (one per tenant at most). */
export type MetadataFamily = readonly [family: string, entries: readonly MetricMetadata[]];

/** Remote-write's `MetricType` numbers (the same in 1.0 and 2.0) → Prometheus's type names. */
const TYPE_NAMES = [
  "unknown",
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
];

/** Prometheus's type name for a remote-write `MetricType` number; unknown numbers are `unknown`. */
export function metricTypeName(type: number): string {
  return TYPE_NAMES[type] ?? "unknown";
}

class TenantMetadata {
  /** Family → metadata, least recently updated first (a Map keeps insertion order). */
  readonly families = new Map<string, MetricMetadata>();
  /** Changed since the last snapshot. */
  dirty = false;
}

/**
 * The metric metadata of every tenant, from remote-write (1.0 sends it per family, 2.0 per series):
 * the latest value of a family wins. A tenant keeps at most `max_metadata_families` families; past
 * it the least recently updated family is forgotten (a sender repeats the metadata of live families,
 * Prometheus every minute, so the ones forgotten are those no longer sent).
 *
 * Persistence: with a directory, {@link load} reads one JSON snapshot per tenant
 * (`<dir>/<tenant, URI-encoded>.json`) and {@link snapshot} rewrites, atomically, those of tenants
 * that changed. What changed after the last snapshot is lost by a crash and comes back with the
 * sender's next metadata. Not safe for concurrent snapshots; the metrics role serialises them.
 */
export class MetadataStore {
  readonly #tenants = new Map<string, TenantMetadata>();

  constructor(
    private readonly limits: TenantLimits,
    /** Where snapshots live; undefined keeps metadata in memory only. */
    private readonly dir: string | undefined,
  ) {}

  /**
   * Records `md` as the metadata of `family` in `tenant` (the latest wins) and marks the family as
   * recently updated. Returns how many families of the tenant were forgotten to stay under its limit.
   */
  set(tenant: string, family: string, md: MetricMetadata): number {
    let t = this.#tenants.get(tenant);
    if (t === undefined) {
      t = new TenantMetadata();
      this.#tenants.set(tenant, t);
    }
    const prev = t.families.get(family);
    t.families.delete(family);
    if (prev !== undefined && sameMetadata(prev, md)) {
      // Only the recency changed: not worth a snapshot of its own.
      t.families.set(family, prev);
      return 0;
    }
    t.families.set(family, { type: md.type, help: md.help, unit: md.unit });
    t.dirty = true;
    return evict(t, this.limits.for(tenant).max_metadata_families);
  }

  /** Families of `tenant` held now. */
  size(tenant: string): number {
    return this.#tenants.get(tenant)?.families.size ?? 0;
  }

  /**
   * The metadata of `tenants` read as one dataset, families sorted by name: for each, the distinct
   * entries of the tenants in their order, within `q`'s limits (as Prometheus applies them).
   */
  query(tenants: readonly string[], q: MetadataQuery): MetadataFamily[] {
    const held = tenants.map((t) => this.#tenants.get(t)?.families).filter((f) => f !== undefined);
    const names = new Set<string>();
    for (const families of held) {
      if (q.metric !== "") {
        if (families.has(q.metric)) names.add(q.metric);
      } else {
        for (const name of families.keys()) names.add(name);
      }
    }
    const out: MetadataFamily[] = [];
    for (const name of [...names].sort(byCodeUnits)) {
      if (q.limit >= 0 && out.length >= q.limit) break;
      const entries: MetricMetadata[] = [];
      for (const families of held) {
        if (q.limitPerMetric > 0 && entries.length >= q.limitPerMetric) break;
        const md = families.get(name);
        if (md !== undefined && !entries.some((e) => sameMetadata(e, md))) entries.push(md);
      }
      out.push([name, entries]);
    }
    return out;
  }

  /**
   * Reads the snapshots in the directory (none: nothing to read). A snapshot that cannot be read is
   * reported to `onProblem` and skipped: metadata comes back with the senders' next writes.
   */
  async load(onProblem: (message: string) => void): Promise<void> {
    if (this.dir === undefined) return;
    for (const { tenant, entries } of await readSnapshots(this.dir, onProblem)) {
      const t = new TenantMetadata();
      for (const [family, type, help, unit] of entries) t.families.set(family, { type, help, unit });
      evict(t, this.limits.for(tenant).max_metadata_families);
      this.#tenants.set(tenant, t);
    }
  }

  /** Forgets `tenant`'s metadata and removes its snapshot. */
  async deleteTenant(tenant: string): Promise<void> {
    this.#tenants.delete(tenant);
    if (this.dir !== undefined) await deleteSnapshot(this.dir, tenant);
  }

  /** Writes the snapshot of every tenant that changed since its last one; resolves once they are durable. */
  async snapshot(): Promise<void> {
    if (this.dir === undefined) return;
    for (const [tenant, t] of this.#tenants) {
      if (!t.dirty) continue;
      t.dirty = false;
      const entries: SnapshotEntry[] = [];
      for (const [family, md] of t.families) entries.push([family, md.type, md.help, md.unit]);
      try {
        await writeSnapshot(this.dir, tenant, entries);
      } catch (err) {
        t.dirty = true;
        throw err;
      }
    }
  }
}

function evict(t: TenantMetadata, max: number): number {
  let evicted = 0;
  if (max <= 0) return 0;
  for (const family of t.families.keys()) {
    if (t.families.size <= max) break;
    t.families.delete(family);
    evicted++;
  }
  if (evicted > 0) t.dirty = true;
  return evicted;
}

function sameMetadata(a: MetricMetadata, b: MetricMetadata): boolean {
  return a.type === b.type && a.help === b.help && a.unit === b.unit;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
