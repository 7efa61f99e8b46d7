import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Ctx } from "../../model/context.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../limits/index.js";
import type { Appendable, Appender, Querier, Queryable } from "../storage/interface.js";
import { MergeQuerier } from "../storage/merge-querier.js";
import { DEFAULT_BLOCK_DURATION_MS } from "./block/index.js";
import { type MaintenanceResult, TenantDB, type TenantDBOptions } from "./tenant-db.js";
import type { SyncMode } from "./wal/index.js";

/** Options of {@link TSDB.open}. */
export interface TSDBOptions {
  /** Per-tenant limits: series limits, out-of-order window, retention. Default: {@link DEFAULT_LIMITS}. */
  readonly limits?: TenantLimits;
  /** Overrides every tenant's `out_of_order_window` limit, ms (tests). */
  readonly outOfOrderWindowMs?: number;
  /** Span of the blocks cut from the head, ms. Default 2 h. */
  readonly blockDurationMs?: number;
  /** WAL segment size cap, bytes. */
  readonly walSegmentBytes?: number;
  /** `"never"` skips every fsync: tests and benchmarks only. Default `"always"`. */
  readonly syncMode?: SyncMode;
  /** Told about a block directory that cannot be opened (it is left alone and never read). */
  readonly onProblem?: (message: string) => void;
  /** Threads encoding chunks while a tenant's WAL replays (see `HeadOptions.replayThreads`). Default: by WAL size. */
  readonly replayThreads?: number;
}

/** Per-tenant figures for the fleet view and self-metrics. */
export interface TenantStats {
  readonly tenant: string;
  readonly activeSeries: number;
  /** Samples in the head (blocks are counted in `blockBytes`). */
  readonly samples: number;
  readonly blocks: number;
  readonly blockBytes: number;
}

/**
 * The embedded TSDB for many tenants (ADR 0007): one {@link TenantDB} — head, WAL and blocks — per
 * tenant under `<dataDir>/tsdb/<tenant>/` (the tenant id URI-encoded, dots too, so any id is one
 * safe directory name; other names there are ignored). Tenants with a directory are opened by
 * {@link open}; others get one on their first write. Writes are durable when `commit()` resolves;
 * reads of several tenants merge through {@link MergeQuerier}. {@link maintain} (run periodically
 * by the metrics role) cuts blocks, compacts them and applies retention. Call {@link close} at
 * shutdown; after a crash, `open` replays every committed batch.
 */
export class TSDB implements Appendable, Queryable {
  readonly #tenants = new Map<string, TenantDB>();
  readonly #limits: TenantLimits;
  #closed = false;

  private constructor(
    /** The data directory; tenants live in `<dataDir>/tsdb/`. */
    readonly dataDir: string,
    private readonly opts: TSDBOptions,
  ) {
    this.#limits = opts.limits ?? new TenantLimits(DEFAULT_LIMITS);
  }

  /** Opens the TSDB in `dataDir`, opening every tenant found there, one after another. */
  static async open(dataDir: string, opts: TSDBOptions = {}): Promise<TSDB> {
    const db = new TSDB(dataDir, opts);
    const root = join(dataDir, "tsdb");
    let names: string[] = [];
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && tenantOfDir(e.name) !== undefined)
        .map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    names.sort();
    for (const name of names) {
      const tenant = tenantOfDir(name)!;
      db.#tenants.set(tenant, await TenantDB.open(join(root, name), db.#options(tenant)));
    }
    return db;
  }

  appender(ctx: Ctx): Appender {
    if (ctx.tenants.length !== 1)
      throw new Error(`a write needs exactly one tenant, got ${ctx.tenants.length}`);
    if (this.#closed) throw new Error(`the TSDB in ${this.dataDir} is closed`);
    return this.#tenant(ctx.tenants[0]!).appender();
  }

  querier(ctx: Ctx, mint: number, maxt: number): Querier {
    const queriers = ctx.tenants.map((t) => this.#tenants.get(t)?.querier(mint, maxt) ?? EMPTY_QUERIER);
    return queriers.length === 1 ? queriers[0]! : new MergeQuerier(queriers);
  }

  /** Figures for every tenant that has data. */
  stats(): TenantStats[] {
    return [...this.#tenants].map(([tenant, db]) => ({
      tenant,
      activeSeries: db.head.seriesCount,
      samples: db.head.samples,
      blocks: db.blockCount,
      blockBytes: db.blockBytes,
    }));
  }

  /**
   * Runs {@link TenantDB.maintain} for every tenant, one after another; with `flush`, every head is
   * written into blocks entirely. A tenant that fails is reported through `onProblem` and the
   * others go on; the first error is rethrown at the end.
   */
  async maintain(flush = false): Promise<Map<string, MaintenanceResult>> {
    const out = new Map<string, MaintenanceResult>();
    let first: unknown;
    for (const [tenant, db] of this.#tenants) {
      if (this.#closed) break;
      try {
        out.set(tenant, await db.maintain(flush));
      } catch (err) {
        first ??= err;
        this.opts.onProblem?.(`TSDB maintenance of tenant ${tenant} failed: ${(err as Error).message}`);
      }
    }
    if (first !== undefined) throw first;
    return out;
  }

  /**
   * Deletes everything `tenant` stored: closes its head (after commits and maintenance in flight)
   * and removes its directory. A later write starts the tenant afresh. The registry calls this when
   * a removed cluster's grace period ends.
   */
  async deleteTenant(tenant: string): Promise<void> {
    const db = this.#tenants.get(tenant);
    this.#tenants.delete(tenant);
    await db?.close();
    await rm(join(this.dataDir, "tsdb", tenantDir(tenant)), { recursive: true, force: true });
  }

  /** Waits for commits and maintenance in flight, then closes every tenant. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#tenants.values()].map((db) => db.close()));
  }

  #tenant(tenant: string): TenantDB {
    let db = this.#tenants.get(tenant);
    if (db === undefined) {
      db = TenantDB.create(join(this.dataDir, "tsdb", tenantDir(tenant)), this.#options(tenant));
      this.#tenants.set(tenant, db);
    }
    return db;
  }

  #options(tenant: string): TenantDBOptions {
    const o = this.opts;
    const limits = this.#limits;
    const fromLimits = o.outOfOrderWindowMs === undefined;
    return {
      limiter: new SeriesLimiter(tenant, limits),
      outOfOrderWindowMs: o.outOfOrderWindowMs ?? limits.for(tenant).out_of_order_window,
      outOfOrderSetting: fromLimits
        ? limits.setting(tenant, "out_of_order_window")
        : "the TSDB's outOfOrderWindowMs option",
      blockDurationMs: o.blockDurationMs ?? DEFAULT_BLOCK_DURATION_MS,
      retention: () => {
        const l = limits.for(tenant);
        return { ms: l.retention, bytes: l.retention_size };
      },
      ...(o.walSegmentBytes !== undefined ? { walSegmentBytes: o.walSegmentBytes } : {}),
      ...(o.syncMode !== undefined ? { syncMode: o.syncMode } : {}),
      ...(o.replayThreads !== undefined ? { replayThreads: o.replayThreads } : {}),
      ...(o.onProblem !== undefined
        ? { onBlockProblem: (p) => o.onProblem?.(`block ${p.dir} is skipped: ${p.error.message}`) }
        : {}),
    };
  }
}

/** A tenant that was never written: nothing to read. */
const EMPTY_QUERIER: Querier = {
  select: async () => ({ next: () => undefined, warnings: [] }),
  labelNames: async () => [],
  labelValues: async () => [],
  close: () => {},
};

/** The directory name of `tenant`: URI-encoded, with dots encoded too (no `.` or `..`). */
function tenantDir(tenant: string): string {
  return encodeURIComponent(tenant).replaceAll(".", "%2E");
}

/** The tenant a directory name stands for, or undefined for a name {@link tenantDir} never gives. */
function tenantOfDir(name: string): string | undefined {
  try {
    const tenant = decodeURIComponent(name);
    return tenantDir(tenant) === name ? tenant : undefined;
  } catch {
    return undefined;
  }
}
