import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry as MetricsRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Logger } from "../lib/log/logger.js";
import { serverConfigSchema } from "../server/config.js";
import { Router } from "../server/http/router.js";
import type { RoleEnv } from "../server/role.js";
import { CaError, CertificateAuthority } from "./ca/index.js";
import { RegistryRole } from "./registry-role.js";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-registry-role-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function env(registry: Record<string, unknown> = {}): RoleEnv {
  return {
    config: serverConfigSchema.parse({ data_dir: join(root, `data-${++n}`), registry }),
    logger: new Logger({ write: () => {}, pretty: false }),
    metrics: new MetricsRegistry(),
    router: new Router(),
  };
}

describe("RegistryRole", () => {
  it("keeps projects, clusters and the CA across a restart", async () => {
    const e = env();
    const first = new RegistryRole(e);
    expect(first.ready()).toBe(false);
    await first.start();
    expect(first.ready()).toBe(true);
    await first.service.createProject("p");
    await first.service.addCluster("c1", { project: "p" });
    const caPem = first.ca.certPem;
    await first.stop();
    expect(() => first.service).toThrow(/not started/);

    const second = new RegistryRole(e);
    await second.start();
    expect((await second.service.listClusters()).map((c) => c.name)).toEqual(["c1"]);
    expect(second.service.cachedCluster("c1")?.project).toBe("p");
    expect(second.ca.certPem).toBe(caPem);
    expect(existsSync(join(e.config.data_dir, "registry", "registry.db"))).toBe(true);
    await second.stop();
  });

  it("imports the clusters.json of an earlier version on its first start", async () => {
    const e = env();
    const dir = join(e.config.data_dir, "registry");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "clusters.json"),
      JSON.stringify({
        clusters: [{ id: "demo-1", project: "demo", createdAt: "2026-11-01T00:00:00.000Z" }],
      }),
    );
    const role = new RegistryRole(e);
    await role.start();
    try {
      expect(await role.service.getCluster("demo-1")).toMatchObject({ project: "demo", state: "active" });
      expect(existsSync(join(dir, "clusters.json.imported"))).toBe(true);
    } finally {
      await role.stop();
    }
  });

  it("uses the CA named by registry.ca_cert_file and ca_key_file, and creates none of its own", async () => {
    const admin = join(root, `admin-ca-${++n}`);
    const source = await CertificateAuthority.loadOrCreate(admin);
    const e = env({ ca_cert_file: join(admin, "ca.crt"), ca_key_file: join(admin, "ca.key") });
    const role = new RegistryRole(e);
    await role.start();
    try {
      expect(role.ca.certPem).toBe(source.certPem);
      expect(existsSync(join(e.config.data_dir, "registry", "ca"))).toBe(false);
      expect(await readFile(join(admin, "ca.crt"), "utf8")).toBe(source.certPem);
    } finally {
      await role.stop();
    }
  });

  it("fails to start, naming the setting, when the supplied CA is missing", async () => {
    const role = new RegistryRole(
      env({ ca_cert_file: join(root, "nope.crt"), ca_key_file: join(root, "nope.key") }),
    );
    const err = await role.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaError);
    expect((err as CaError).message).toMatch(
      /registry\.ca_cert_file names .*nope\.crt, which does not exist/,
    );
    expect(role.ready()).toBe(false);
  });
});
