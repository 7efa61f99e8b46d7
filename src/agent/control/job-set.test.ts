import { describe, expect, it } from "vitest";
import { agentConfigSchema } from "../../server/config.js";
import { buildJobSet, localJobs } from "./job-set.js";
import { parseScrapeSettings } from "./protocol.js";

const local = localJobs(
  agentConfigSchema.parse({
    cluster: "c1",
    remote_write_url: "http://127.0.0.1:1/api/v1/push",
    scrape_interval: "15s",
    scrape_timeout: "10s",
    external_labels: { site: "a" },
    self_scrape: true,
    scrape_configs: [
      { job_name: "app", static_configs: [{ targets: ["app:1"] }] },
      { job_name: "fast", scrape_interval: "5s", static_configs: [{ targets: ["fast:1"] }] },
    ],
  }),
  9702,
);

const remote = (config: Record<string, unknown>) => parseScrapeSettings({ scrape_configs: [], ...config });
const job = (name: string, extra: Record<string, unknown> = {}) => ({
  job_name: name,
  static_configs: [{ targets: [`${name}:1`] }],
  ...extra,
});

describe("buildJobSet", () => {
  it("runs the file's and built-in jobs alone without a remote configuration", () => {
    const set = buildJobSet(local, undefined, undefined);
    expect(set.jobs.map((j) => j.job_name)).toEqual(["app", "fast", "mirador-agent"]);
    expect(set.host?.job_name).toBe("node");
    expect(set.remoteJobs.size).toBe(0);
    expect([...set.options.keys()]).toEqual(["app", "fast", "mirador-agent", "node"]);
  });

  it("adds the seed's jobs after the local ones", () => {
    const set = buildJobSet(local, remote({ scrape_configs: [job("r1"), job("r2")] }), undefined);
    expect(set.jobs.map((j) => j.job_name)).toEqual(["app", "fast", "mirador-agent", "r1", "r2"]);
    expect([...set.remoteJobs]).toEqual(["r1", "r2"]);
  });

  it.each([
    [
      "a job of the file",
      "app",
      /"app" of the seed's configuration has the name of a job of the agent's own/,
    ],
    ["the self-scrape", "mirador-agent", /\(a built-in job\)/],
    ["the host collector", "node", /\(a built-in job\)/],
  ])("refuses a remote job named like %s", (_what, name, message) => {
    expect(() => buildJobSet(local, remote({ scrape_configs: [job(name)] }), undefined)).toThrow(message);
  });

  it("refuses a remote job that cannot run (a timeout above its interval, an unsupported option)", () => {
    expect(() =>
      buildJobSet(
        local,
        remote({ scrape_configs: [job("r", { scrape_interval: "5s", scrape_timeout: "6s" })] }),
        undefined,
      ),
    ).toThrow();
    expect(() =>
      buildJobSet(
        local,
        remote({ scrape_configs: [job("r", { basic_auth: { username: "u", password: "p" } })] }),
        undefined,
      ),
    ).toThrow(/basic_auth is not supported/);
  });

  it("lets the seed's interval, timeout and external labels override the file's", () => {
    const set = buildJobSet(
      local,
      remote({ scrape_interval: "30s", scrape_timeout: "20s", external_labels: { team: "t" } }),
      undefined,
    );
    const byName = new Map(set.jobs.map((j) => [j.job_name, j]));
    expect(byName.get("app")).toMatchObject({ scrape_interval: 30_000, scrape_timeout: 20_000 });
    // A job's own interval stays; the global timeout is lowered to it.
    expect(byName.get("fast")).toMatchObject({ scrape_interval: 5_000, scrape_timeout: 5_000 });
    expect(set.host).toMatchObject({ scrape_interval: 30_000 });
    expect(set.externalLabels).toEqual({ team: "t" });
    expect(set.options.get("app")?.externalLabels).toEqual({ team: "t" });
  });

  it("keeps the options of jobs that did not change, and only those", () => {
    const first = buildJobSet(local, remote({ scrape_configs: [job("r1"), job("r2")] }), undefined);
    const same = buildJobSet(local, remote({ scrape_configs: [job("r1"), job("r2")] }), first);
    for (const [name, o] of first.options) expect(same.options.get(name)).toBe(o);

    const oneChanged = buildJobSet(
      local,
      remote({ scrape_configs: [job("r1"), job("r2", { honor_labels: true })] }),
      same,
    );
    expect(oneChanged.options.get("r1")).toBe(first.options.get("r1"));
    expect(oneChanged.options.get("app")).toBe(first.options.get("app"));
    expect(oneChanged.options.get("r2")).not.toBe(first.options.get("r2"));

    const relabelled = buildJobSet(
      local,
      remote({ external_labels: { team: "t" }, scrape_configs: [job("r1"), job("r2")] }),
      first,
    );
    for (const [name, o] of first.options) expect(relabelled.options.get(name)).not.toBe(o);
  });
});
