import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Logger } from "../../lib/log/logger.js";
import { completeScrapeConfig, type ScrapeConfigInput, scrapeConfigSchema } from "../config/scrape-config.js";
import { TargetManager, type TargetManagerOptions } from "./manager.js";
import type { Discoverer, ResolvedTarget, TargetGroup } from "./types.js";

/** A discoverer the test drives: `push` reports a new full list of groups. */
class FakeDiscoverer implements Discoverer {
  #onUpdate: ((groups: readonly TargetGroup[]) => void) | undefined;
  stopped = false;
  constructor(private readonly initial: readonly TargetGroup[] = []) {}
  async start(onUpdate: (groups: readonly TargetGroup[]) => void): Promise<void> {
    this.#onUpdate = onUpdate;
    onUpdate(this.initial);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  push(...addresses: string[]): void {
    this.pushGroups({ source: "fake", targets: addresses.map((a) => ({ __address__: a })), labels: {} });
  }
  pushGroups(...groups: TargetGroup[]): void {
    this.#onUpdate?.(groups);
  }
}

const group = (source: string, ...addresses: string[]): TargetGroup => ({
  source,
  targets: addresses.map((a) => ({ __address__: a })),
  labels: {},
});

function jobConfig(fields: Partial<ScrapeConfigInput> & { job_name: string }) {
  return completeScrapeConfig(scrapeConfigSchema.parse(fields), {
    scrape_interval: 15_000,
    scrape_timeout: 10_000,
  });
}

/** A manager over `jobs` whose `kubernetes_sd_configs` entries are served by `fakes`, in order. */
function setup(
  jobs: ReturnType<typeof jobConfig>[],
  fakes: FakeDiscoverer[] = [],
  extra: Partial<TargetManagerOptions> = {},
) {
  const calls: [string, string[]][] = [];
  const queue = [...fakes];
  const manager = new TargetManager({
    jobs,
    onTargets: (job, targets) => calls.push([job, targets.map((t) => t.labels.get("instance"))]),
    factories: { kubernetes: () => queue.shift()! },
    ...extra,
  });
  return { manager, calls };
}

const k8s = [{ role: "pod" as const }];

describe("TargetManager", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports every job once after start, from all of its discoverers' initial groups", async () => {
    const fake = new FakeDiscoverer([group("pods", "p:1")]);
    const { manager, calls } = setup(
      [
        jobConfig({
          job_name: "a",
          static_configs: [{ targets: ["s:1", "s:2"] }],
          kubernetes_sd_configs: k8s,
        }),
        jobConfig({ job_name: "empty" }),
      ],
      [fake],
    );
    await manager.start();
    expect(calls).toEqual([
      ["a", ["s:1", "s:2", "p:1"]],
      ["empty", []],
    ]);
    await manager.stop();
    expect(fake.stopped).toBe(true);
  });

  it("folds updates within updateIntervalMs into one recompute, and handles one after a quiet spell at once", async () => {
    const fake = new FakeDiscoverer();
    const { manager, calls } = setup([jobConfig({ job_name: "a", kubernetes_sd_configs: k8s })], [fake], {
      updateIntervalMs: 5_000,
    });
    await manager.start();
    expect(calls).toEqual([["a", []]]);

    fake.push("x:1");
    fake.push("x:1", "x:2");
    fake.push("x:3");
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([
      ["a", []],
      ["a", ["x:3"]],
    ]);

    // Still within the interval that recompute opened: wait for it to end.
    fake.push("x:4");
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.at(-1)).toEqual(["a", ["x:4"]]);

    // A full quiet interval later, an update is handled at once.
    await vi.advanceTimersByTimeAsync(5_000);
    fake.push("x:5");
    expect(calls.at(-1)).toEqual(["a", ["x:5"]]);
    expect(calls).toHaveLength(4);
    await manager.stop();
  });

  it("does not report a list that did not change", async () => {
    const fake = new FakeDiscoverer([group("g", "x:1")]);
    const { manager, calls } = setup([jobConfig({ job_name: "a", kubernetes_sd_configs: k8s })], [fake]);
    await manager.start();
    await vi.advanceTimersByTimeAsync(10_000);
    fake.push("x:1");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([["a", ["x:1"]]]);
    await manager.stop();
  });

  it("reports nothing after stop, even with an update pending", async () => {
    const fake = new FakeDiscoverer();
    const { manager, calls } = setup([jobConfig({ job_name: "a", kubernetes_sd_configs: k8s })], [fake]);
    await manager.start();
    fake.push("x:1");
    await manager.stop();
    fake.push("x:2");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([["a", []]]);
  });

  it("setJobs restarts changed jobs, stops removed ones, starts new ones and leaves the rest alone", async () => {
    const [fa, fb, fb2, fc] = [
      new FakeDiscoverer([group("g", "a:1")]),
      new FakeDiscoverer([group("g", "b:1")]),
      new FakeDiscoverer([group("g", "b:1")]),
      new FakeDiscoverer([group("g", "c:1")]),
    ];
    const a = jobConfig({ job_name: "a", kubernetes_sd_configs: k8s });
    const { manager, calls } = setup(
      [
        a,
        jobConfig({ job_name: "b", kubernetes_sd_configs: k8s }),
        jobConfig({ job_name: "gone", static_configs: [{ targets: ["g:1"] }] }),
      ],
      [fa, fb, fb2, fc],
    );
    await manager.start();
    calls.length = 0;
    await manager.setJobs([
      jobConfig({ job_name: "a", kubernetes_sd_configs: k8s }),
      jobConfig({ job_name: "b", kubernetes_sd_configs: k8s, scrape_interval: "30s" }),
      jobConfig({ job_name: "c", kubernetes_sd_configs: k8s }),
    ]);
    // Removed: reported empty. Changed: reported even though its target's address is the same. New: reported.
    expect(calls).toEqual([
      ["gone", []],
      ["b", ["b:1"]],
      ["c", ["c:1"]],
    ]);
    expect([fa.stopped, fb.stopped, fb2.stopped, fc.stopped]).toEqual([false, true, false, false]);
    expect(manager.targets("b")[0]?.intervalMs).toBe(30_000);
    expect([...manager.counts().keys()]).toEqual(["a", "b", "c"]);

    // The replaced discoverer is not heard any more; the others are.
    await vi.advanceTimersByTimeAsync(5_000);
    fb.push("old:1");
    fb2.push("b:2");
    fa.push("a:2");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.slice(3)).toEqual([
      ["b", ["b:2"]],
      ["a", ["a:2"]],
    ]);
    await manager.stop();
    expect([fa.stopped, fb2.stopped, fc.stopped]).toEqual([true, true, true]);
  });

  it("setJobs refuses a name given twice and changes nothing", async () => {
    const fake = new FakeDiscoverer([group("g", "x:1")]);
    const { manager, calls } = setup([jobConfig({ job_name: "a", kubernetes_sd_configs: k8s })], [fake]);
    await manager.start();
    const j = jobConfig({ job_name: "b", static_configs: [{ targets: ["y:1"] }] });
    await expect(manager.setJobs([j, j])).rejects.toThrow(/"b" given twice/);
    expect(calls).toEqual([["a", ["x:1"]]]);
    expect(fake.stopped).toBe(false);
    await manager.stop();
  });

  it("removes duplicate targets and counts dropped and invalid ones", async () => {
    const lines: string[] = [];
    const logger = new Logger({ pretty: false, write: (l) => lines.push(l) }, "warn");
    const fake = new FakeDiscoverer([group("g1", "a:1", "a:1", "drop:1"), group("g2", "a:1", "bad/path")]);
    const job = jobConfig({
      job_name: "a",
      kubernetes_sd_configs: k8s,
      relabel_configs: [{ source_labels: ["__address__"], regex: "drop:.*", action: "drop" }],
    });
    const { manager, calls } = setup([job], [fake], { logger });
    await manager.start();
    expect(calls).toEqual([["a", ["a:1"]]]);
    expect(manager.counts().get("a")).toEqual({ active: 1, dropped: 1, invalid: 1 });
    const warned = lines.map((l) => JSON.parse(l));
    expect(warned.map((w) => [w.msg, w.reason, w.source])).toEqual([
      ["discovered target refused", '"bad/path" is not a valid hostname', "g2"],
    ]);

    // The same refusal at the next recompute is not logged again.
    await vi.advanceTimersByTimeAsync(5_000);
    fake.pushGroups(group("g2", "bad/path", "b:1"));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.at(-1)).toEqual(["a", ["b:1"]]);
    expect(lines).toHaveLength(1);
    await manager.stop();
  });

  it("resolves targets with the job's relabelling, keeping discovered labels", async () => {
    const fake = new FakeDiscoverer([
      {
        source: "g",
        targets: [{ __address__: "10.0.0.1:8080", __meta_pod: "web-0" }],
        labels: { team: "x" },
      },
    ]);
    let got: readonly ResolvedTarget[] = [];
    const manager = new TargetManager({
      jobs: [
        jobConfig({
          job_name: "pods",
          kubernetes_sd_configs: k8s,
          relabel_configs: [{ source_labels: ["__meta_pod"], target_label: "pod" }],
        }),
      ],
      onTargets: (_job, targets) => {
        got = targets;
      },
      factories: { kubernetes: () => fake },
    });
    await manager.start();
    expect(got.map((t) => [t.url, t.labels.toRecord(), t.discoveredLabels.get("__meta_pod")])).toEqual([
      [
        "http://10.0.0.1:8080/metrics",
        { instance: "10.0.0.1:8080", job: "pods", pod: "web-0", team: "x" },
        "web-0",
      ],
    ]);
    expect(manager.targets("pods")).toBe(got);
    await manager.stop();
  });

  it("logs and ignores kubernetes_sd_configs when no Kubernetes factory is given", async () => {
    const lines: string[] = [];
    const manager = new TargetManager({
      jobs: [
        jobConfig({ job_name: "a", static_configs: [{ targets: ["s:1"] }], kubernetes_sd_configs: k8s }),
      ],
      onTargets: () => {},
      logger: new Logger({ pretty: false, write: (l) => lines.push(l) }, "warn"),
    });
    await manager.start();
    expect(manager.targets("a").map((t) => t.url)).toEqual(["http://s:1/metrics"]);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      "kubernetes_sd_configs ignored: no Kubernetes discoverer is available in this process",
    ]);
    await manager.stop();
  });
});

describe("TargetManager with file discovery", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirador-target-manager-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads file_sd_configs relative to baseDir, with __meta_filepath available to relabelling", async () => {
    await writeFile(join(dir, "t.yml"), "- targets: [f:1]\n  labels: {env: prod}\n");
    let got: readonly ResolvedTarget[] = [];
    const manager = new TargetManager({
      jobs: [
        jobConfig({
          job_name: "files",
          file_sd_configs: [{ files: ["*.yml"] }],
          relabel_configs: [{ source_labels: ["__meta_filepath"], regex: ".*/(.*)", target_label: "file" }],
        }),
      ],
      onTargets: (_job, targets) => {
        got = targets;
      },
      baseDir: dir,
    });
    await manager.start();
    expect(got.map((t) => t.labels.toRecord())).toEqual([
      { env: "prod", file: "t.yml", instance: "f:1", job: "files" },
    ]);
    await manager.stop();
  });
});
