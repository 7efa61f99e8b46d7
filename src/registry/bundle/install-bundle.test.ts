import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { agentConfigSchema } from "../../server/config.js";
import { type BundleInput, DEFAULT_IMAGE, installBundle, installCommands } from "./install-bundle.js";
import { writeBundle } from "./write-bundle.js";

const input: BundleInput = {
  cluster: { name: "prod-eu-1", project: "payments" },
  certPem: "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n",
  keyPem: "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n",
  caPem: "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n",
  gatewayUrl: "https://seed.example:9701",
};

function file(name: string, i: BundleInput = input): string {
  const f = installBundle(i).find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in the bundle`);
  return f.content;
}

describe("installBundle", () => {
  it("holds the certificate, key, CA, both agent setups and a README, the key files private", () => {
    const files = installBundle(input);
    expect(files.map((f) => [f.name, f.mode.toString(8)])).toEqual([
      ["tls.crt", "644"],
      ["tls.key", "600"],
      ["ca.crt", "644"],
      ["agent.yaml", "644"],
      ["kubernetes.yaml", "600"],
      ["README.txt", "644"],
    ]);
    expect(file("tls.key")).toBe(input.keyPem);
    expect(file("tls.crt")).toBe(input.certPem);
    expect(file("ca.crt")).toBe(input.caPem);
  });

  it("writes an agent.yaml the agent accepts, with paths beside it", () => {
    const cfg = agentConfigSchema.parse(parse(file("agent.yaml")));
    expect(cfg).toMatchObject({
      cluster: "prod-eu-1",
      remote_write_url: "https://seed.example:9701/api/v1/push",
      tls: { cert_file: "tls.crt", key_file: "tls.key", ca_file: "ca.crt" },
      data_dir: "data",
      self_scrape: true,
      host_collector: { enabled: true, proc_path: "/proc", sys_path: "/sys" },
      kubernetes: { default_jobs: false },
      scrape_configs: [],
    });
  });

  it.each([
    ["https://seed.example:9701/", "https://seed.example:9701/api/v1/push"],
    ["https://seed.example:9701/api/v1/push", "https://seed.example:9701/api/v1/push"],
    ["https://seed.example/mirador/", "https://seed.example/mirador/api/v1/push"],
  ])("reads the gateway URL %s as %s", (gatewayUrl, push) => {
    expect(parse(file("agent.yaml", { ...input, gatewayUrl })).remote_write_url).toBe(push);
  });

  it.each([
    ["http://seed.example:9701", "must be https"],
    ["seed.example:9701", "must be https"],
    ["not a url", "is not a URL"],
  ])("refuses the gateway URL %s", (gatewayUrl, message) => {
    expect(() => installBundle({ ...input, gatewayUrl })).toThrow(message);
  });

  it("names the image and namespace, with defaults", () => {
    expect(file("kubernetes.yaml")).toContain(`image: ${DEFAULT_IMAGE}`);
    expect(DEFAULT_IMAGE).toMatch(/^mirador:\d+\.\d+\.\d+/);
    const custom = file("kubernetes.yaml", { ...input, image: "r.example/mirador:dev", namespace: "obs" });
    expect(custom).toContain("image: r.example/mirador:dev");
    expect(custom).toContain("namespace: obs");
  });

  it("tells in its README how to run it on a host and in Kubernetes", () => {
    const readme = file("README.txt", { ...input, dir: "/srv/bundles/prod-eu-1" });
    const cmd = installCommands("/srv/bundles/prod-eu-1");
    expect(cmd).toEqual({
      host: "mirador-agent --config /srv/bundles/prod-eu-1/agent.yaml",
      kubernetes: "kubectl apply -f /srv/bundles/prod-eu-1/kubernetes.yaml",
    });
    expect(readme).toContain(cmd.host);
    expect(readme).toContain(cmd.kubernetes);
    expect(file("agent.yaml", { ...input, dir: "/srv/bundles/prod-eu-1" })).toContain(cmd.host);
  });
});

describe("writeBundle", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("creates the directory 0700 and each file with its mode, whatever the umask", () => {
    const parent = mkdtempSync(join(tmpdir(), "mirador-bundle-"));
    dirs.push(parent);
    const dir = join(parent, "prod-eu-1");
    const old = process.umask(0);
    try {
      writeBundle(dir, installBundle(input));
    } finally {
      process.umask(old);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "kubernetes.yaml")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "agent.yaml")).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(dir, "tls.key"), "utf8")).toBe(input.keyPem);
  });

  it("narrows an existing directory and file to the bundle's modes", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirador-bundle-"));
    dirs.push(dir);
    writeFileSync(join(dir, "tls.key"), "old", { mode: 0o666 });
    writeBundle(dir, installBundle(input));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "tls.key"), "utf8")).toBe(input.keyPem);
  });
});
