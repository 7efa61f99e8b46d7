import { readFile, rename } from "node:fs/promises";
import { tenantIdProblem } from "../model/tenant.js";
import { newClusterRecords } from "./new-cluster.js";
import type { RegistryStore } from "./store/store.js";

/** The file earlier Mirador versions kept clusters in, under `<data_dir>/registry/`. */
export const LEGACY_CLUSTER_FILE = "clusters.json";

/** What `importLegacyClusters` did. */
export interface LegacyImport {
  /** Clusters added to the store (those already there are left as they are). */
  readonly clusters: number;
  /** Projects created for them. */
  readonly projects: number;
}

/**
 * Imports the clusters of an earlier version's JSON file (`{clusters: [{id, project, createdAt}]}`)
 * into `store`, creating their projects, then renames the file to `<path>.imported` so it is read
 * once. Nothing happens when the file does not exist. Imported clusters are active with default
 * settings and `seed`; the certificates issued before have no record, so they cannot be revoked by
 * serial (rotate such a cluster to move its agents onto recorded certificates). Safe to repeat after
 * a crash: what is already in the store is skipped. Throws, naming the file and the entry, when an
 * entry is not a valid cluster.
 */
export async function importLegacyClusters(
  store: RegistryStore,
  path: string,
  opts: { readonly seed: string },
): Promise<LegacyImport> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { clusters: 0, projects: 0 };
    throw err;
  }
  const entries = parseLegacyFile(path, text);
  let clusters = 0;
  let projects = 0;
  for (const e of entries) {
    if ((await store.getProject(e.project)) === undefined) {
      await store.insertProject({ name: e.project, description: "", createdAt: e.createdAt });
      projects++;
    }
    if ((await store.getCluster(e.id)) !== undefined) continue;
    const records = newClusterRecords(
      e.id,
      {
        project: e.project,
        labels: {},
        seed: opts.seed,
        limits: {},
        metricsEnabled: true,
        logsEnabled: true,
      },
      e.createdAt,
    );
    await store.insertCluster(records);
    clusters++;
  }
  await rename(path, `${path}.imported`);
  return { clusters, projects };
}

interface LegacyCluster {
  readonly id: string;
  readonly project: string;
  readonly createdAt: string;
}

function parseLegacyFile(path: string, text: string): LegacyCluster[] {
  const fail = (why: string): never => {
    throw new Error(`cannot import the clusters of ${path}: ${why}; fix the file or move it aside`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = (doc as { clusters?: unknown } | null)?.clusters ?? [];
  if (!Array.isArray(list)) return fail('"clusters" is not a list');
  return list.map((raw: unknown, i): LegacyCluster => {
    const { id, project, createdAt } = (raw ?? {}) as Record<string, unknown>;
    if (typeof id !== "string" || typeof project !== "string" || typeof createdAt !== "string") {
      return fail(`clusters[${i}] needs string fields id, project and createdAt`);
    }
    const problem = tenantIdProblem(id) ?? tenantIdProblem(project);
    if (problem !== undefined) return fail(`clusters[${i}]: ${problem}`);
    const time = Date.parse(createdAt);
    if (Number.isNaN(time))
      return fail(`clusters[${i}]: createdAt ${JSON.stringify(createdAt)} is not a time`);
    return { id, project, createdAt: new Date(time).toISOString() };
  });
}
