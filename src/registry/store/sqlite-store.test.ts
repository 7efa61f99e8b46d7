import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpileTree } from "../../test-support/transpile-tree.js";
import { MIGRATIONS, type Migration } from "./sqlite-migrations.js";
import { openSqliteRegistryStore } from "./sqlite-store.js";
import { RegistryStoreError } from "./store.js";
import { clusterRow, configRow, runRegistryStoreConformance } from "./store-conformance.testlib.js";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-registry-db-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const freshPath = () => join(root, `db-${++n}`, "registry", "registry.db");

runRegistryStoreConformance("sqlite", () => openSqliteRegistryStore(freshPath()));

async function storeError(p: Promise<unknown>): Promise<RegistryStoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryStoreError);
    return err as RegistryStoreError;
  }
  throw new Error("expected a RegistryStoreError, nothing was thrown");
}

describe("SQLite registry store", () => {
  it("creates the file with mode 0600 in a 0700 directory, and keeps writes across reopen", async () => {
    const path = freshPath();
    const a = await openSqliteRegistryStore(path);
    await a.insertProject({ name: "p1", description: "", createdAt: "2026-01-01T00:00:00.000Z" });
    await a.insertCluster({ cluster: clusterRow("c1"), config: configRow("c1", 1) });
    await a.close();
    if (process.platform !== "win32") {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(path, ".."))).mode & 0o777).toBe(0o700);
    }
    // The lock directory and pid file are gone once closed.
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(existsSync(`${path}.pid`)).toBe(false);

    const b = await openSqliteRegistryStore(path);
    expect(await b.getCluster("c1")).toEqual(clusterRow("c1"));
    expect(b.schemaVersion).toBe(MIGRATIONS.length);
    await b.close();
  });

  it("keeps what was committed when the process dies holding the database, and recovers its lock", async () => {
    const path = freshPath();
    await (await openSqliteRegistryStore(path)).close();
    // A child process claims the database as the store does (pid file, exclusive lock), commits one
    // project, begins a second write and dies in the middle of it: no rollback, no unlock.
    const sqlite = createRequire(import.meta.url).resolve("node-sqlite3-wasm");
    const script = `
      const { Database } = require(${JSON.stringify(sqlite)});
      require("node:fs").writeFileSync(${JSON.stringify(`${path}.pid`)}, process.pid + "\\n");
      const db = new Database(${JSON.stringify(path)});
      db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL");
      db.run("INSERT INTO projects VALUES ('survivor', '', '2026-01-01T00:00:00.000Z')");
      db.exec("BEGIN IMMEDIATE");
      for (let i = 0; i < 2000; i++) db.run("INSERT INTO projects VALUES (?, '', '')", ["lost-" + i]);
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["-e", script], { stdio: "pipe" });
    expect(child.signal).toBe("SIGKILL");
    expect(existsSync(`${path}.lock`)).toBe(true);
    expect(existsSync(`${path}-journal`)).toBe(true);

    const s = await openSqliteRegistryStore(path);
    expect((await s.listProjects()).map((p) => p.name)).toEqual(["survivor"]);
    await s.close();
  });

  it("reopens after the store's own process was killed while it had the database open", async () => {
    const path = freshPath();
    const srcRoot = fileURLToPath(new URL("../../", import.meta.url));
    const build = join(root, `build-${++n}`);
    await transpileTree(fileURLToPath(new URL("./sqlite-store.ts", import.meta.url)), build, srcRoot, {
      nodeModules: join(srcRoot, "..", "node_modules"),
    });
    const script = `
      const { openSqliteRegistryStore } = await import(${JSON.stringify(join(build, "registry/store/sqlite-store.js"))});
      const s = await openSqliteRegistryStore(${JSON.stringify(path)});
      await s.insertProject({ name: "committed", description: "", createdAt: "2026-01-01T00:00:00.000Z" });
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
    expect(child.signal, child.stderr.toString()).toBe("SIGKILL");
    expect(existsSync(`${path}.pid`)).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(true);

    const s = await openSqliteRegistryStore(path);
    expect((await s.listProjects()).map((p) => p.name)).toEqual(["committed"]);
    await s.close();
  });

  it("refuses a second store on the same file, and a file held by a live process", async () => {
    const path = freshPath();
    const a = await openSqliteRegistryStore(path);
    expect((await storeError(openSqliteRegistryStore(path))).code).toBe("busy");
    await a.close();

    // pid 1 is alive (init) and is not this process.
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(`${path}.pid`, "1\n");
    const err = await storeError(openSqliteRegistryStore(path));
    expect(err.code).toBe("busy");
    expect(err.message).toContain(`in use by process 1`);
    expect(err.message).toContain(`delete ${path}.pid`);
  });

  it("takes over a pid file of a process that is gone", async () => {
    const path = freshPath();
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(`${path}.pid`, "2147483646\n");
    mkdirSync(`${path}.lock`);
    const s = await openSqliteRegistryStore(path);
    expect(await s.listProjects()).toEqual([]);
    await s.close();
  });
});

describe("SQLite registry schema migrations", () => {
  const steps: Migration[] = [
    { version: 1, description: "a", sql: "CREATE TABLE a (x INTEGER) STRICT;" },
    { version: 2, description: "b", sql: "CREATE TABLE b (y INTEGER) STRICT; INSERT INTO b VALUES (1);" },
  ];

  it("migrates an empty database step by step, and reopening applies only what is new", async () => {
    const path = freshPath();
    const first = await openSqliteRegistryStore(path, { migrations: steps.slice(0, 1) });
    expect(first.schemaVersion).toBe(1);
    await first.close();
    const second = await openSqliteRegistryStore(path, { migrations: steps });
    expect(second.schemaVersion).toBe(2);
    await second.close();
    // Step 2 is not applied again (it would fail: table b exists).
    const third = await openSqliteRegistryStore(path, { migrations: steps });
    expect(third.schemaVersion).toBe(2);
    await third.close();
  });

  it("refuses a database written by a newer Mirador and leaves it alone", async () => {
    const path = freshPath();
    await (await openSqliteRegistryStore(path, { migrations: steps })).close();
    const err = await storeError(openSqliteRegistryStore(path, { migrations: steps.slice(0, 1) }));
    expect(err.code).toBe("too_new");
    expect(err.message).toMatch(/has schema version 2, but this Mirador knows versions up to 1/);
    const again = await openSqliteRegistryStore(path, { migrations: steps });
    expect(again.schemaVersion).toBe(2);
    await again.close();
  });

  it("rolls a failed step back whole and stays at the previous version", async () => {
    const path = freshPath();
    const broken: Migration[] = [
      steps[0]!,
      { version: 2, description: "half", sql: "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);" },
    ];
    const err = await storeError(openSqliteRegistryStore(path, { migrations: broken }));
    expect(err.code).toBe("migration");
    expect(err.message).toMatch(/schema step 2 \(half\) failed, the database stays at version 1/);
    // Table c was rolled back with the step: the real step 2 applies cleanly.
    const fixed: Migration[] = [
      steps[0]!,
      { version: 2, description: "c", sql: "CREATE TABLE c (z INTEGER);" },
    ];
    const s = await openSqliteRegistryStore(path, { migrations: fixed });
    expect(s.schemaVersion).toBe(2);
    await s.close();
  });

  it("refuses a list of steps that is out of order", async () => {
    await expect(
      openSqliteRegistryStore(freshPath(), { migrations: [{ version: 2, description: "x", sql: "" }] }),
    ).rejects.toThrow(/migration 0 has version 2, expected 1/);
  });
});
