import type { Logger } from "../lib/log/logger.js";
import type { Cluster, RegistryEvent } from "./model.js";
import type { RegistryStore } from "./store/store.js";

/**
 * Deletes what another role keeps for a tenant (its TSDB, rules, alert config) once its cluster's
 * removal grace has passed. Resolves when the data is gone; a rejection leaves the cluster for the
 * janitor's next pass.
 */
export type TenantDataDeleter = (tenant: string) => Promise<void>;

/** What the janitor uses of the registry service. */
export interface JanitorHost {
  readonly store: RegistryStore;
  readonly log: Logger;
  /** Now, ISO 8601. */
  now(): string;
  /** Runs `task` in the registry's write queue. */
  serial<T>(task: () => Promise<T>): Promise<T>;
  emit(event: RegistryEvent): void;
  /** The clusters in memory (the janitor picks those removing and due). */
  clusters(): Iterable<Cluster>;
  /** Forgets a deleted cluster in memory. */
  forget(name: string): void;
}

/**
 * The registry's janitor. Each pass applies scheduled revocations that are due (reason
 * superseded, dated when they were due), deletes removed clusters whose `deleteAfter` has passed —
 * their data through every tenant deleter first, outside the write queue since that may take long,
 * then their records — and forgets expired certificates of deleted clusters. Failures are logged
 * and retried on the next pass.
 */
export class Janitor {
  readonly #deleters = new Map<string, TenantDataDeleter>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;

  constructor(
    private readonly host: JanitorHost,
    private readonly intervalMs: number,
  ) {}

  /** Registers `deleter` under `name` (one per name); returns the function that unregisters it. */
  addTenantDeleter(name: string, deleter: TenantDataDeleter): () => void {
    if (this.#deleters.has(name))
      throw new Error(`a tenant data deleter named ${name} is registered already`);
    this.#deleters.set(name, deleter);
    return () => {
      if (this.#deleters.get(name) === deleter) this.#deleters.delete(name);
    };
  }

  /** Runs a pass every `intervalMs` (an unref'd timer) until `stop()`. Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.run(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass; a pass already running is joined, not doubled. Never rejects. */
  run(): Promise<void> {
    this.#pass ??= this.#run().finally(() => {
      this.#pass = undefined;
    });
    return this.#pass;
  }

  /** Resolves once a running pass (if any) has ended. */
  async idle(): Promise<void> {
    await this.#pass;
  }

  async #run(): Promise<void> {
    const { host } = this;
    try {
      await host.serial(async () => {
        const due = await host.store.listCertificatesDue(host.now());
        if (due.length === 0) return;
        await host.store.saveCertificates(
          due.map((c) => ({
            ...c,
            revokedAt: c.revokeAt ?? host.now(),
            revocationReason: "superseded" as const,
          })),
        );
        host.log.info("scheduled revocations applied", { serials: due.map((c) => c.serial) });
        host.emit({ kind: "revoked" });
      });
    } catch (err) {
      host.log.error("janitor: scheduled revocations failed", { err });
    }

    const now = host.now();
    const gone = [...host.clusters()].filter(
      (c) => c.state === "removing" && c.deleteAfter !== undefined && c.deleteAfter <= now,
    );
    for (const cluster of gone) await this.#delete(cluster.name);

    try {
      await host.serial(() => host.store.pruneCertificates(host.now()));
    } catch (err) {
      host.log.error("janitor: pruning expired certificates failed", { err });
    }
  }

  async #delete(name: string): Promise<void> {
    const { host } = this;
    for (const [deleterName, deleter] of this.#deleters) {
      try {
        await deleter(name);
      } catch (err) {
        host.log.error("janitor: deleting a removed cluster's data failed; retrying next pass", {
          cluster: name,
          deleter: deleterName,
          err,
        });
        return;
      }
    }
    try {
      await host.serial(async () => {
        // Checked again in the queue: nothing may have re-added or changed it meanwhile.
        const row = await host.store.getCluster(name);
        if (row === undefined || row.state !== "removing" || (row.deleteAfter ?? "") > host.now()) return;
        await host.store.deleteCluster(name);
        host.forget(name);
        host.log.info("removed cluster deleted", { cluster: name });
        host.emit({ kind: "cluster", name });
      });
    } catch (err) {
      host.log.error("janitor: deleting a removed cluster's records failed", { cluster: name, err });
    }
  }
}
