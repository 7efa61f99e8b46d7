import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { tenantIdProblem } from "../model/tenant.js";

/** A registered user cluster. Its id is its tenant id. */
export interface Cluster {
  readonly id: string;
  readonly project: string;
  /** ISO 8601 time of registration. */
  readonly createdAt: string;
}

/**
 * The clusters of this seed, persisted as one JSON file written atomically (temp file + rename).
 * The walking skeleton's registry storage; the registry issue moves it to SQLite behind the same
 * methods.
 */
export class ClusterStore {
  readonly #clusters = new Map<string, Cluster>();

  private constructor(private readonly path: string) {}

  /** Opens the store at `path`, reading it when it exists. */
  static open(path: string): ClusterStore {
    const store = new ClusterStore(path);
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (text !== undefined) {
      const doc = JSON.parse(text) as { clusters?: Cluster[] };
      for (const c of doc.clusters ?? []) store.#clusters.set(c.id, c);
    }
    return store;
  }

  /** Every cluster, sorted by id. */
  list(): Cluster[] {
    return [...this.#clusters.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The cluster `id`, if registered. */
  get(id: string): Cluster | undefined {
    return this.#clusters.get(id);
  }

  /** Registers `id` in `project` unless it exists; returns the cluster. Throws on an invalid id. */
  ensure(id: string, project: string): Cluster {
    const existing = this.#clusters.get(id);
    if (existing) return existing;
    const problem = tenantIdProblem(id);
    if (problem) throw new Error(`invalid cluster name: ${problem}`);
    const cluster: Cluster = { id, project, createdAt: new Date().toISOString() };
    this.#clusters.set(id, cluster);
    this.#save();
    return cluster;
  }

  #save(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ clusters: this.list() }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
