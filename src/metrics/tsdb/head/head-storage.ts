import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Ctx } from "../../../model/context.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import type { Appendable, Appender, Querier, Queryable } from "../../storage/interface.js";
import { MergeQuerier } from "../../storage/merge-querier.js";
import type { SyncMode } from "../wal/index.js";
import { Head, type HeadOptions } from "./head.js";
import { HeadAppender } from "./head-appender.js";
import { HeadQuerier } from "./head-querier.js";

/** Options of {@link HeadStorage.open}. */
export interface HeadStorageOptions {
  /** Per-tenant limits: series limits and the out-of-order window. Default: {@link DEFAULT_LIMITS}. */
  readonly limits?: TenantLimits;
  /** Overrides every tenant's `out_of_order_window` limit, ms (tests). */
  readonly outOfOrderWindowMs?: number;
  /** WAL segment size cap, bytes. */
  readonly walSegmentBytes?: number;
  /** `"never"` skips every fsync: tests and benchmarks only. Default `"always"`. */
  readonly syncMode?: SyncMode;
}

/** Per-tenant figures for the fleet view and self-metrics (the shape MemoryStorage reports). */
export interface HeadTenantStats {
  readonly tenant: string;
  readonly activeSeries: number;
  readonly samples: number;
}

/**
 * The embedded TSDB's storage for many tenants: one {@link Head} per tenant under
 * `<dataDir>/tsdb/<tenant>/` (the tenant id URI-encoded, dots too, so any id is one safe directory
 * name). Tenants with a directory are replayed by {@link open}; others get a head on their first
 * write. Writes are durable when `commit()` resolves; reads of several tenants merge through
 * {@link MergeQuerier}. Call {@link close} at shutdown; after a crash, `open` replays every
 * committed batch.
 */
export class HeadStorage implements Appendable, Queryable {
  readonly #tenants = new Map<string, Head>();
  readonly #limits: TenantLimits;
  #closed = false;

  private constructor(
    /** The data directory; heads live in `<dataDir>/tsdb/`. */
    readonly dataDir: string,
    private readonly opts: HeadStorageOptions,
  ) {
    this.#limits = opts.limits ?? new TenantLimits(DEFAULT_LIMITS);
  }

  /** Opens the storage in `dataDir`, replaying the WAL of every tenant found there, one after another. */
  static async open(dataDir: string, opts: HeadStorageOptions = {}): Promise<HeadStorage> {
    const storage = new HeadStorage(dataDir, opts);
    const root = join(dataDir, "tsdb");
    let names: string[] = [];
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    names.sort();
    for (const name of names) {
      const tenant = decodeURIComponent(name);
      storage.#tenants.set(tenant, await Head.open(join(root, name), storage.#headOptions(tenant)));
    }
    return storage;
  }

  appender(ctx: Ctx): Appender {
    if (ctx.tenants.length !== 1)
      throw new Error(`a write needs exactly one tenant, got ${ctx.tenants.length}`);
    if (this.#closed) throw new Error(`the TSDB in ${this.dataDir} is closed`);
    return new HeadAppender(this.#head(ctx.tenants[0]!));
  }

  querier(ctx: Ctx, mint: number, maxt: number): Querier {
    const queriers = ctx.tenants.map((t) => new HeadQuerier(this.#tenants.get(t), mint, maxt));
    return queriers.length === 1 ? queriers[0]! : new MergeQuerier(queriers);
  }

  /** Figures for every tenant that has a head. */
  stats(): HeadTenantStats[] {
    return [...this.#tenants].map(([tenant, h]) => ({
      tenant,
      activeSeries: h.seriesCount,
      samples: h.samples,
    }));
  }

  /** Waits for the commits in flight, then closes every tenant's WAL. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#tenants.values()].map((h) => h.close()));
  }

  #head(tenant: string): Head {
    let head = this.#tenants.get(tenant);
    if (head === undefined) {
      head = Head.create(join(this.dataDir, "tsdb", tenantDir(tenant)), this.#headOptions(tenant));
      this.#tenants.set(tenant, head);
    }
    return head;
  }

  #headOptions(tenant: string): HeadOptions {
    const o = this.opts;
    const fromLimits = o.outOfOrderWindowMs === undefined;
    return {
      limiter: new SeriesLimiter(tenant, this.#limits),
      outOfOrderWindowMs: o.outOfOrderWindowMs ?? this.#limits.for(tenant).out_of_order_window,
      outOfOrderSetting: fromLimits
        ? this.#limits.setting(tenant, "out_of_order_window")
        : "HeadStorage's outOfOrderWindowMs option",
      ...(o.walSegmentBytes !== undefined ? { walSegmentBytes: o.walSegmentBytes } : {}),
      ...(o.syncMode !== undefined ? { syncMode: o.syncMode } : {}),
    };
  }
}

/** The directory name of `tenant`: URI-encoded, with dots encoded too (no `.` or `..`). */
function tenantDir(tenant: string): string {
  return encodeURIComponent(tenant).replaceAll(".", "%2E");
}
