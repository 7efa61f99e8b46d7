import type { Exposition } from "../../model/sample.js";
import { CpuState, collectCpu } from "./cpu.js";
import { collectDiskstats } from "./diskstats.js";
import { MetricFamilyOut, toExposition } from "./family.js";
import { collectFilesystem, FilesystemState } from "./filesystem.js";
import { type HostFs, type HostPaths, NodeHostFs, withReadCache } from "./host-fs.js";
import { collectLoadavg } from "./loadavg.js";
import { collectMeminfo } from "./meminfo.js";
import { collectNetdev } from "./netdev.js";
import { collectPressure } from "./pressure.js";
import { collectStat } from "./stat.js";
import { collectTime } from "./time.js";
import { collectUname } from "./uname.js";

/** The built-in host collectors, named as node-exporter names them (the `collector` label). */
export const HOST_COLLECTORS = [
  "cpu",
  "diskstats",
  "filesystem",
  "loadavg",
  "meminfo",
  "netdev",
  "pressure",
  "stat",
  "time",
  "uname",
] as const;

/** The name of one built-in host collector. */
export type HostCollectorName = (typeof HOST_COLLECTORS)[number];

/** Options of {@link HostCollector}: where the host is mounted and what to collect. */
export interface HostCollectorOptions extends HostPaths {
  /** How long one statfs may take before its mount is reported stuck, in milliseconds; default 5000. */
  readonly mountTimeoutMs?: number;
  /** The collectors to run; default all of {@link HOST_COLLECTORS}. */
  readonly collectors?: readonly HostCollectorName[];
  /** Reads the host through this instead of `procPath`/`sysPath`/`rootPath` (tests, other platforms). */
  readonly fs?: HostFs;
}

interface Run {
  readonly name: HostCollectorName;
  readonly families: MetricFamilyOut[];
  readonly seconds: number;
  readonly error?: unknown;
}

/**
 * The edge agent's built-in host collector: reads `/proc` and `/sys` and exposes node-exporter's
 * metrics under node-exporter's names and labels. Each collection runs the enabled collectors
 * concurrently, reading each file once; a collector that fails (missing file, no permission, a kernel
 * without the feature) contributes no samples and is reported with
 * `node_scrape_collector_success{collector} 0`, beside `node_scrape_collector_duration_seconds`.
 *
 * Holds state between collections (CPU counters kept monotonic, mounts whose statfs hung), so keep
 * one instance for the agent's lifetime. A collection takes at most about `mountTimeoutMs`.
 */
export class HostCollector {
  readonly #fs: HostFs;
  readonly #enabled: readonly HostCollectorName[];
  readonly #mountTimeoutMs: number;
  readonly #cpu = new CpuState();
  readonly #filesystem = new FilesystemState();
  #lastErrors = new Map<HostCollectorName, unknown>();

  constructor(opts: HostCollectorOptions = {}) {
    this.#fs =
      opts.fs ??
      new NodeHostFs({
        ...(opts.procPath !== undefined && { procPath: opts.procPath }),
        ...(opts.sysPath !== undefined && { sysPath: opts.sysPath }),
        ...(opts.rootPath !== undefined && { rootPath: opts.rootPath }),
      });
    this.#enabled = [...new Set(opts.collectors ?? HOST_COLLECTORS)];
    this.#mountTimeoutMs = opts.mountTimeoutMs ?? 5000;
  }

  /** Why each collector that failed in the last {@link collect} failed; empty when all succeeded. */
  get lastErrors(): ReadonlyMap<HostCollectorName, unknown> {
    return this.#lastErrors;
  }

  /** Runs every enabled collector once; never rejects because a collector failed. */
  async collect(): Promise<Exposition> {
    const fs = withReadCache(this.#fs);
    const runs = await Promise.all(this.#enabled.map((name) => this.#run(name, fs)));

    const duration = new MetricFamilyOut(
      "node_scrape_collector_duration_seconds",
      "gauge",
      "How long each host collector took in the last collection, in seconds.",
      ["collector"],
    );
    const success = new MetricFamilyOut(
      "node_scrape_collector_success",
      "gauge",
      "Whether each host collector succeeded (1) or failed (0) in the last collection.",
      ["collector"],
    );
    const errors = new Map<HostCollectorName, unknown>();
    const families: MetricFamilyOut[] = [duration, success];
    for (const r of [...runs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      duration.add(r.seconds, r.name);
      success.add("error" in r ? 0 : 1, r.name);
      if ("error" in r) errors.set(r.name, r.error);
      else families.push(...r.families);
    }
    this.#lastErrors = errors;

    families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return toExposition(families);
  }

  async #run(name: HostCollectorName, fs: HostFs): Promise<Run> {
    const start = performance.now();
    try {
      const families = await this.#collector(name, fs);
      return { name, families, seconds: (performance.now() - start) / 1000 };
    } catch (error) {
      return { name, families: [], seconds: (performance.now() - start) / 1000, error };
    }
  }

  #collector(name: HostCollectorName, fs: HostFs): Promise<MetricFamilyOut[]> {
    switch (name) {
      case "cpu":
        return collectCpu(fs, this.#cpu);
      case "diskstats":
        return collectDiskstats(fs);
      case "filesystem":
        return collectFilesystem(fs, this.#filesystem, { timeoutMs: this.#mountTimeoutMs });
      case "loadavg":
        return collectLoadavg(fs);
      case "meminfo":
        return collectMeminfo(fs);
      case "netdev":
        return collectNetdev(fs);
      case "pressure":
        return collectPressure(fs);
      case "stat":
        return collectStat(fs);
      case "time":
        return collectTime(fs);
      case "uname":
        return collectUname(fs);
    }
  }
}
