import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { type ServedApi, serveRegistryApi } from "../registry/api/api-harness.testlib.js";
import { FakeRegistry } from "../registry/api/fake-registry.testlib.js";
import { startTestSeed } from "../test-support/seed.js";
import { loadAgentConfigFile } from "./agent-config-file.js";
import { runCli } from "./cli.testlib.js";

const run = runCli;

/** A seed's registry API for the CLI to talk to. */
interface Backend {
  readonly name: string;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "in-memory fake",
    start: async () => {
      const fake = new FakeRegistry();
      const served: ServedApi = await serveRegistryApi(fake, { caPem: () => fake.caPem });
      return served;
    },
  },
  {
    name: "real Registry of a seed (SQLite)",
    start: async () => {
      const s = await startTestSeed({}, "registry");
      const role = s.seed.roles.registry!;
      const served = await serveRegistryApi(role.service, { caPem: () => role.ca.certPem });
      return {
        url: served.url,
        stop: async () => {
          await served.stop();
          await s.stop();
        },
      };
    },
  },
];

describe.each(backends)("mirador project and cluster against the $name", (backend) => {
  let server: { url: string; stop(): Promise<void> };
  let work: string;
  const cli = (...argv: string[]) => run(...argv, "--server", server.url);

  beforeAll(async () => {
    server = await backend.start();
    work = mkdtempSync(join(tmpdir(), "mirador-cli-registry-"));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  describe("project", () => {
    it("adds, lists, shows and removes projects", async () => {
      expect(await cli("project", "add", "payments", "--description", "Payments team")).toMatchObject({
        code: 0,
        out: expect.stringContaining("project payments created"),
      });
      expect((await cli("project", "add", "scratch")).code).toBe(0);
      const list = await cli("project", "list");
      expect(list.out).toMatch(/^NAME\s+CLUSTERS\s+CREATED\s+DESCRIPTION\n/);
      expect(list.out).toMatch(/\npayments\s+0\s+\S+\s+Payments team\n/);
      const json = JSON.parse((await cli("project", "list", "-o", "json")).out);
      expect(json.projects.map((p: { name: string }) => p.name)).toEqual(["payments", "scratch"]);
      expect((await cli("project", "show", "payments")).out).toMatch(/description:\s+Payments team/);
      expect((await cli("project", "remove", "scratch")).out).toContain("project scratch removed");
      const gone = await cli("project", "show", "scratch");
      expect(gone.code).toBe(1);
      expect(gone.err).toMatch(/^mirador: .*scratch/);
    });

    it("says so when the project exists already", async () => {
      const r = await cli("project", "add", "payments");
      expect(r.code).toBe(1);
      expect(r.err).toContain("payments");
    });
  });

  describe("cluster add", () => {
    it("says how to create a missing project, and creates nothing", async () => {
      const dir = join(work, "nope-1");
      const r = await cli("cluster", "add", "nope-1", "--project", "search", "--output", dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain("project search does not exist");
      expect(r.err).toContain("mirador project add search");
      expect(r.err).toContain("--create-project");
      expect(existsSync(dir)).toBe(false);
      expect((await cli("cluster", "show", "nope-1")).code).toBe(1);
    });

    it("registers the cluster and writes a private install bundle the agent can run", async () => {
      const dir = join(work, "prod-eu-1");
      const r = await cli(
        "cluster",
        "add",
        "prod-eu-1",
        "--project",
        "payments",
        "--label",
        "env=prod",
        "--label",
        "region=eu",
        "--output",
        dir,
        "--gateway",
        "https://seed.example:9701",
      );
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`mirador-agent --config ${join(dir, "agent.yaml")}`);
      expect(r.out).toContain(`kubectl apply -f ${join(dir, "kubernetes.yaml")}`);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, "tls.key"), "utf8")).toContain("PRIVATE KEY");
      for (const f of ["tls.crt", "ca.crt", "kubernetes.yaml", "README.txt"])
        expect(existsSync(join(dir, f))).toBe(true);
      const cfg = loadAgentConfigFile(join(dir, "agent.yaml"));
      expect(cfg).toMatchObject({
        cluster: "prod-eu-1",
        remote_write_url: "https://seed.example:9701/api/v1/push",
        tls: {
          cert_file: join(dir, "tls.crt"),
          key_file: join(dir, "tls.key"),
          ca_file: join(dir, "ca.crt"),
        },
        data_dir: join(dir, "data"),
      });
      const shown = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out);
      expect(shown.cluster.labels).toEqual({ env: "prod", region: "eu" });
    });

    it("creates the project when asked, and warns when agents elsewhere cannot reach the gateway", async () => {
      const dir = join(work, "search-1");
      const r = await cli(
        "cluster",
        "add",
        "search-1",
        "--project",
        "search",
        "--create-project",
        "--output",
        dir,
      );
      expect(r.code).toBe(0);
      expect(r.out).toContain("project search created");
      expect(r.err).toContain("warning:");
      expect(r.err).toContain("--gateway");
      expect(parse(readFileSync(join(dir, "agent.yaml"), "utf8")).remote_write_url).toBe(
        "https://127.0.0.1:9701/api/v1/push",
      );
    });

    it("refuses a directory that holds a bundle, before registering anything", async () => {
      const r = await cli(
        "cluster",
        "add",
        "other-1",
        "--project",
        "payments",
        "--output",
        join(work, "prod-eu-1"),
      );
      expect(r.code).toBe(1);
      expect(r.err).toContain("already holds an install bundle");
      expect((await cli("cluster", "show", "other-1")).code).toBe(1);
    });

    it.each([
      [["cluster", "add", "x"], "--project"],
      [["cluster", "add", "--project", "payments"], "missing NAME"],
      [["cluster", "add", "x", "--project", "payments", "--gateway", "http://seed:9701"], "must be https"],
      [["cluster", "add", "x", "--project", "payments", "--label", "env"], "--label: expected k=v"],
      [["cluster", "add", "x", "y", "--project", "payments"], 'unexpected argument "y"'],
      [["cluster", "frobnicate"], 'unknown command "frobnicate"'],
      [["cluster", "list", "--bogus"], "Unknown option '--bogus'"],
      [["cluster", "list", "-o", "xml"], "-o: expected json"],
      [["cluster", "update", "prod-eu-1"], "nothing to change"],
      [
        ["cluster", "update", "prod-eu-1", "--samples-burst", "1.5"],
        "--samples-burst: expected a whole number",
      ],
      [["cluster", "update", "prod-eu-1", "--samples-per-second", "many"], "--samples-per-second"],
      [["cluster", "rotate-cert", "prod-eu-1", "--revoke-after", "soon"], "--revoke-after"],
      [["cluster", "config", "set", "prod-eu-1"], "--file"],
      [["cluster", "config", "frob", "prod-eu-1"], "unknown command config"],
      [["project", "show"], "missing NAME"],
    ])("refuses %j with exit code 2 and says why", async (argv, message) => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
    });
  });

  describe("cluster list, show, update, flows", () => {
    it("lists clusters as a table and as JSON with their status", async () => {
      const r = await cli("cluster", "list");
      expect(r.code).toBe(0);
      const lines = r.out.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+PROJECT\s+STATE\s+FLOWS\s+CONFIG\s+LAST SEEN\s+SAMPLES\/S\s+LABELS$/);
      expect(lines[1]).toMatch(
        /^prod-eu-1\s+payments\s+active\s+metrics,logs\s+-\/\d+\s+never\s+-\s+env=prod,region=eu$/,
      );
      // Columns line up: every row's PROJECT starts where the header's does.
      const at = lines[0]!.indexOf("PROJECT");
      for (const l of lines.slice(1)) expect(l.slice(at - 2, at + 1)).toMatch(/^ {2}\S$/);
      const json = JSON.parse((await cli("cluster", "list", "--project", "search", "-o", "json")).out);
      expect(json.clusters.map((c: { name: string }) => c.name)).toEqual(["search-1"]);
      expect(json.clusters[0].status).toMatchObject({ cluster: "search-1", applied_config_version: null });
    });

    it("shows one cluster with its status and certificates", async () => {
      const r = await cli("cluster", "show", "prod-eu-1");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^name:\s+prod-eu-1$/m);
      expect(r.out).toMatch(/^config version:\s+desired \d+, applied none reported$/m);
      expect(r.out).toMatch(/^last seen:\s+never$/m);
      expect(r.out).toMatch(/^SERIAL\s+KIND\s+ISSUED\s+NOT AFTER\s+STATE$/m);
      expect(r.out).toMatch(/^[0-9a-f]+\s+bundle\s+\S+\s+\S+\s+valid$/m);
      const json = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out);
      expect(Object.keys(json)).toEqual(["cluster", "status", "certificates"]);
    });

    it("updates labels (k- removes one) and limits", async () => {
      const r = await cli(
        "cluster",
        "update",
        "prod-eu-1",
        "--label",
        "region-",
        "--label",
        "team=pay",
        "--samples-per-second",
        "2000",
        "--max-body-bytes",
        "1048576",
      );
      expect(r.code).toBe(0);
      expect(r.out).toContain("labels: env=prod,team=pay");
      const c = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out).cluster;
      expect(c.labels).toEqual({ env: "prod", team: "pay" });
      expect(c.limits).toEqual({ samples_per_second: 2000, max_body_bytes: 1048576 });
      const reset = await cli("cluster", "update", "prod-eu-1", "--samples-per-second", "default");
      expect(reset.out).toContain("limits: max_body_bytes=1048576");
    });

    it("disables and enables flows, both when neither is named", async () => {
      const flows = async () => {
        const c = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out).cluster;
        return [c.metrics_enabled, c.logs_enabled];
      };
      expect((await cli("cluster", "disable", "prod-eu-1", "--logs")).out).toContain(
        "logs of cluster prod-eu-1 disabled",
      );
      expect(await flows()).toEqual([true, false]);
      expect((await cli("cluster", "disable", "prod-eu-1")).out).toContain(
        "metrics and logs of cluster prod-eu-1 disabled",
      );
      expect(await flows()).toEqual([false, false]);
      expect((await cli("cluster", "enable", "prod-eu-1", "--metrics", "--logs")).code).toBe(0);
      expect(await flows()).toEqual([true, true]);
    });
  });

  describe("cluster config", () => {
    it("sets the agent configuration from YAML and gets it back", async () => {
      const file = join(work, "jobs.yaml");
      writeFileSync(
        file,
        "scrape_interval: 30s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['app:8080']\n",
      );
      const set = await cli("cluster", "config", "set", "prod-eu-1", "--file", file);
      expect(set.code).toBe(0);
      expect(set.out).toMatch(/agent configuration version \d+ \(1 scrape jobs\)/);
      const got = await cli("cluster", "config", "get", "prod-eu-1");
      expect(parse(got.out)).toEqual({
        scrape_interval: "30s",
        scrape_configs: [{ job_name: "app", static_configs: [{ targets: ["app:8080"] }] }],
      });
      // What `get` prints is what `set` takes.
      writeFileSync(file, got.out);
      expect((await cli("cluster", "config", "set", "prod-eu-1", "--file", file)).code).toBe(0);
      const json = JSON.parse((await cli("cluster", "config", "get", "prod-eu-1", "-o", "json")).out);
      expect(json).toMatchObject({ cluster: "prod-eu-1", flows: { metrics: true, logs: true } });
    });

    it("takes a bare list of scrape configs, and prints the seed's refusal", async () => {
      const file = join(work, "list.yaml");
      writeFileSync(file, "- job_name: a\n  static_configs: [{targets: ['a:1']}]\n");
      expect((await cli("cluster", "config", "set", "prod-eu-1", "--file", file)).code).toBe(0);
      writeFileSync(file, "scrape_configs: []\nscrape_interval: often\n");
      const bad = await cli("cluster", "config", "set", "prod-eu-1", "--file", file);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain("scrape_interval");
      const missing = await cli("cluster", "config", "set", "prod-eu-1", "--file", join(work, "none.yaml"));
      expect(missing.code).toBe(1);
      expect(missing.err).toContain("cannot read");
    });
  });

  describe("certificates and removal", () => {
    it("rotates with a grace period and writes a new bundle", async () => {
      const dir = join(work, "prod-eu-1-new");
      const before = readFileSync(join(work, "prod-eu-1", "tls.crt"), "utf8");
      const r = await cli(
        "cluster",
        "rotate-cert",
        "prod-eu-1",
        "--revoke-after",
        "1h",
        "--output",
        dir,
        "--gateway",
        "https://seed.example:9701",
      );
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toContain("renew their certificates");
      expect(r.out).toMatch(/1 certificate issued before now will be revoked at \S+/);
      expect(r.out).toContain(`mirador-agent --config ${join(dir, "agent.yaml")}`);
      expect(readFileSync(join(dir, "tls.crt"), "utf8")).not.toBe(before);
      const certs = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out).certificates;
      expect(certs).toHaveLength(2);
      expect(certs.filter((c: { revoke_at: string | null }) => c.revoke_at !== null)).toHaveLength(1);
      const shown = await cli("cluster", "show", "prod-eu-1");
      expect(shown.out).toMatch(/revoked at \S+$/m);
    });

    it("revokes one certificate, then all", async () => {
      const certs = JSON.parse((await cli("cluster", "show", "prod-eu-1", "-o", "json")).out).certificates;
      const serial = certs[0].serial as string;
      const one = await cli(
        "cluster",
        "revoke",
        "prod-eu-1",
        "--serial",
        serial,
        "--reason",
        "keyCompromise",
      );
      expect(one.code).toBe(0);
      expect(one.out).toContain(`revoked 1 certificate of cluster prod-eu-1: ${serial}`);
      const all = await cli("cluster", "revoke", "prod-eu-1");
      expect(all.out).toContain("revoked 1 certificate");
      expect(all.out).toContain("rotate-cert prod-eu-1 --output");
      expect((await cli("cluster", "revoke", "prod-eu-1")).out).toContain("no certificate left");
      const bad = await cli("cluster", "revoke", "prod-eu-1", "--reason", "bored");
      expect(bad.code).toBe(1);
      expect(bad.err).toContain("reason");
    });

    it("removes a cluster and says when its data goes", async () => {
      const r = await cli("cluster", "remove", "search-1");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/deleted after \d{4}-\d\d-\d\dT/);
      expect((await cli("cluster", "list")).out).toMatch(/\nsearch-1\s+search\s+removing/);
      const busy = await cli("project", "remove", "search");
      expect(busy.code).toBe(1);
    });
  });

  it("prints the server's message for an unknown cluster", async () => {
    const r = await cli("cluster", "show", "nope");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mirador: .*nope/);
  });
});

describe("mirador cluster without a seed", () => {
  it("says it cannot reach the seed and how to point at one", async () => {
    const r = await run("cluster", "list", "--server", "http://127.0.0.1:1");
    expect(r.code).toBe(1);
    expect(r.err).toContain("cannot reach the seed at http://127.0.0.1:1");
    expect(r.err).toContain("MIRADOR_SERVER");
  });

  it("prints its usage", async () => {
    expect((await run("cluster", "help")).out).toContain("rotate-cert NAME");
    expect((await run("project", "--help")).out).toContain("add    NAME");
    expect((await run("cluster")).code).toBe(2);
    expect((await run("help")).out).toContain("mirador cluster add");
  });

  it("refuses a server that is not a URL", async () => {
    const r = await run("cluster", "list", "--server", "not a url");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--server");
  });
});
