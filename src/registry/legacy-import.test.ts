import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importLegacyClusters, LEGACY_CLUSTER_FILE } from "./legacy-import.js";
import { openSqliteRegistryStore } from "./store/sqlite-store.js";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-legacy-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function registryDir(json?: unknown): Promise<string> {
  const dir = join(root, `r${++n}`);
  await mkdir(dir, { recursive: true });
  if (json !== undefined) {
    await writeFile(join(dir, LEGACY_CLUSTER_FILE), typeof json === "string" ? json : JSON.stringify(json));
  }
  return dir;
}

describe("importLegacyClusters", () => {
  it("imports the clusters and their projects once, then renames the file", async () => {
    const legacy = {
      clusters: [
        { id: "demo-1", project: "demo", createdAt: "2026-11-01T10:00:00.000Z" },
        { id: "demo-2", project: "demo", createdAt: "2026-11-02T10:00:00.000Z" },
        { id: "edge-7", project: "p", createdAt: "2026-11-03T10:00:00.000Z" },
      ],
    };
    const dir = await registryDir(legacy);
    const store = await openSqliteRegistryStore(join(dir, "registry.db"));
    try {
      // Project p exists already: it is kept as it is.
      await store.insertProject({ name: "p", description: "kept", createdAt: "2026-01-01T00:00:00.000Z" });
      const file = join(dir, LEGACY_CLUSTER_FILE);
      expect(await importLegacyClusters(store, file, { seed: "local" })).toEqual({
        clusters: 3,
        projects: 1,
      });
      expect(existsSync(file)).toBe(false);
      expect(JSON.parse(await readFile(`${file}.imported`, "utf8"))).toEqual(legacy);

      expect((await store.listProjects()).map((p) => [p.name, p.description, p.createdAt])).toEqual([
        ["demo", "", "2026-11-01T10:00:00.000Z"],
        ["p", "kept", "2026-01-01T00:00:00.000Z"],
      ]);
      expect(await store.getCluster("demo-2")).toEqual({
        name: "demo-2",
        project: "demo",
        labels: {},
        seed: "local",
        metricsEnabled: true,
        logsEnabled: true,
        limits: {},
        state: "active",
        createdAt: "2026-11-02T10:00:00.000Z",
        updatedAt: "2026-11-02T10:00:00.000Z",
        desiredConfigVersion: 1,
        certificateGeneration: 0,
      });
      expect((await store.getAgentConfig("demo-2"))?.body).toEqual({ scrape_configs: [] });

      // Gone once imported.
      expect(await importLegacyClusters(store, file, { seed: "local" })).toEqual({
        clusters: 0,
        projects: 0,
      });
    } finally {
      await store.close();
    }
  });

  it("skips clusters already in the store, as after a crash before the rename", async () => {
    const dir = await registryDir({
      clusters: [{ id: "c1", project: "p", createdAt: "2026-11-01T10:00:00Z" }],
    });
    const store = await openSqliteRegistryStore(join(dir, "registry.db"));
    try {
      await importLegacyClusters(store, join(dir, LEGACY_CLUSTER_FILE), { seed: "local" });
      await writeFile(
        join(dir, LEGACY_CLUSTER_FILE),
        await readFile(join(dir, `${LEGACY_CLUSTER_FILE}.imported`)),
      );
      expect(await importLegacyClusters(store, join(dir, LEGACY_CLUSTER_FILE), { seed: "local" })).toEqual({
        clusters: 0,
        projects: 0,
      });
    } finally {
      await store.close();
    }
  });

  it.each([
    ["not JSON", "{", /is not JSON/],
    ["a list that is not one", { clusters: {} }, /"clusters" is not a list/],
    [
      "an entry without id",
      { clusters: [{ project: "p", createdAt: "x" }] },
      /clusters\[0\] needs string fields/,
    ],
    [
      "a bad name",
      { clusters: [{ id: "a b", project: "p", createdAt: "2026-01-01T00:00:00Z" }] },
      /clusters\[0\]: tenant id "a b"/,
    ],
    [
      "a bad time",
      { clusters: [{ id: "a", project: "p", createdAt: "yesterday" }] },
      /"yesterday" is not a time/,
    ],
  ])("refuses a file with %s, naming it, and keeps it", async (_what, content, message) => {
    const dir = await registryDir(content);
    const store = await openSqliteRegistryStore(join(dir, "registry.db"));
    try {
      const file = join(dir, LEGACY_CLUSTER_FILE);
      await expect(importLegacyClusters(store, file, { seed: "local" })).rejects.toThrow(message);
      await expect(importLegacyClusters(store, file, { seed: "local" })).rejects.toThrow(file);
      expect(existsSync(file)).toBe(true);
      expect(await store.listClusters()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
