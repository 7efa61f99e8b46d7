import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Exposition } from "../../model/sample.js";
import { HOST_COLLECTORS, HostCollector } from "./host-collector.js";
import { type HostFs, NodeHostFs, type StatFsResult } from "./host-fs.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

const DISK: StatFsResult = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 5000, ffree: 4000 };

/** The fixture tree with statfs answered by `DISK` and every procfs read counted by path. */
function fixtureFs() {
  const base = new NodeHostFs({ procPath: join(TESTDATA, "proc"), sysPath: join(TESTDATA, "sys") });
  const reads = new Map<string, number>();
  const fs: HostFs = {
    rootPath: base.rootPath,
    readProc: (rel) => {
      reads.set(rel, (reads.get(rel) ?? 0) + 1);
      return base.readProc(rel);
    },
    readSys: (rel) => base.readSys(rel),
    listSys: (rel) => base.listSys(rel),
    readRoot: (rel) => base.readRoot(rel),
    statfs: () => Promise.resolve(DISK),
  };
  return { fs, reads };
}

function byName(e: Exposition, name: string) {
  return e.samples.filter((s) => s.labels.get("__name__") === name);
}

function collectorStatus(e: Exposition): Record<string, number> {
  return Object.fromEntries(
    byName(e, "node_scrape_collector_success").map((s) => [s.labels.get("collector"), s.value]),
  );
}

describe("HostCollector", () => {
  it("runs every collector against a fixture host and reports each as successful", async () => {
    const { fs, reads } = fixtureFs();
    const e = await new HostCollector({ fs }).collect();

    expect(collectorStatus(e)).toEqual(Object.fromEntries(HOST_COLLECTORS.map((c) => [c, 1])));
    const durations = byName(e, "node_scrape_collector_duration_seconds");
    expect(durations.map((s) => s.labels.get("collector"))).toEqual([...HOST_COLLECTORS]);
    for (const d of durations) expect(d.value).toBeGreaterThanOrEqual(0);

    const value = (text: string) => e.samples.find((s) => s.labels.toString() === text)?.value;
    expect(value('node_cpu_seconds_total{cpu="0", mode="user"}')).toBe(123.45);
    expect(value("node_memory_MemTotal_bytes")).toBe(8038244 * 1024);
    expect(value("node_load1")).toBe(0.52);
    expect(value('node_filesystem_avail_bytes{device="/dev/sda2", fstype="ext4", mountpoint="/"}')).toBe(
      1228800,
    );
    expect(value('node_network_receive_bytes_total{device="eth0"}')).toBe(987654321);
    expect(value('node_disk_reads_completed_total{device="sda"}')).toBe(123456);
    expect(value("node_boot_time_seconds")).toBe(1718000000);
    expect(value("node_pressure_memory_stalled_seconds_total")).toBeCloseTo(0.987654, 9);
    expect(byName(e, "node_uname_info")[0]?.labels.get("nodename")).toBe("edge-01");
    expect(byName(e, "node_time_seconds")[0]?.value).toBeGreaterThan(1.7e9);

    // cpu and stat share /proc/stat: one read per file per collection.
    expect(reads.get("stat")).toBe(1);
    for (const [, n] of reads) expect(n).toBe(1);
  });

  it("gives every family one metadata entry, sorted by name, and every sample a family", async () => {
    const e = await new HostCollector({ fs: fixtureFs().fs }).collect();
    const names = e.metadata.map((m) => m.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    const declared = new Set(names);
    for (const s of e.samples) expect(declared.has(s.labels.get("__name__"))).toBe(true);
    for (const m of e.metadata) {
      expect(m.type).toBe(m.name.endsWith("_total") ? "counter" : "gauge");
      expect(m.help).not.toBe("");
    }
    const keys = e.samples.map((s) => s.labels.key());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("records a collector whose files are missing as failed and carries on", async () => {
    const proc = await mkdtemp(join(tmpdir(), "mirador-host-"));
    try {
      await writeFile(join(proc, "stat"), await readFile(join(TESTDATA, "proc/stat"), "utf8"));
      await mkdir(join(proc, "pressure"));
      const c = new HostCollector({ procPath: proc, sysPath: join(proc, "nosys"), rootPath: proc });
      const e = await c.collect();
      expect(collectorStatus(e)).toEqual({
        cpu: 1,
        diskstats: 0,
        filesystem: 0,
        loadavg: 0,
        meminfo: 0,
        netdev: 0,
        pressure: 0,
        stat: 1,
        time: 1,
        uname: 1,
      });
      expect(byName(e, "node_cpu_seconds_total")).toHaveLength(16);
      expect(byName(e, "node_load1")).toHaveLength(0);
      expect([...c.lastErrors.keys()].sort()).toEqual([
        "diskstats",
        "filesystem",
        "loadavg",
        "meminfo",
        "netdev",
        "pressure",
      ]);
      expect(c.lastErrors.get("meminfo")).toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });

  it("runs only the collectors it is given", async () => {
    const e = await new HostCollector({ fs: fixtureFs().fs, collectors: ["loadavg", "uname"] }).collect();
    expect(collectorStatus(e)).toEqual({ loadavg: 1, uname: 1 });
    expect(new Set(e.samples.map((s) => s.labels.get("__name__")))).toEqual(
      new Set([
        "node_load1",
        "node_load5",
        "node_load15",
        "node_uname_info",
        "node_scrape_collector_duration_seconds",
        "node_scrape_collector_success",
      ]),
    );
  });

  it("keeps CPU counters monotonic across collections", async () => {
    const proc = await mkdtemp(join(tmpdir(), "mirador-host-"));
    try {
      const c = new HostCollector({ procPath: proc, collectors: ["cpu"] });
      const user0 = async () =>
        byName(await c.collect(), "node_cpu_seconds_total").find(
          (s) => s.labels.get("cpu") === "0" && s.labels.get("mode") === "user",
        )?.value;
      await writeFile(join(proc, "stat"), "cpu0 500 0 0 10000 0 0 0 0\n");
      expect(await user0()).toBe(5);
      await writeFile(join(proc, "stat"), "cpu0 499 0 0 10001 0 0 0 0\n");
      expect(await user0()).toBe(5);
      await writeFile(join(proc, "stat"), "cpu0 600 0 0 10002 0 0 0 0\n");
      expect(await user0()).toBe(6);
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform !== "linux")(
    "collects sane values from this machine's /proc and /sys",
    async () => {
      const c = new HostCollector();
      const e = await c.collect();
      const cpu = byName(e, "node_cpu_seconds_total");
      expect(cpu.length).toBeGreaterThan(0);
      expect(cpu.some((s) => s.labels.get("mode") === "idle" && s.value > 0)).toBe(true);
      expect(byName(e, "node_memory_MemTotal_bytes")[0]?.value).toBeGreaterThan(0);
      const load1 = byName(e, "node_load1")[0]?.value;
      expect(load1).toBeGreaterThanOrEqual(0);
      const sizes = byName(e, "node_filesystem_size_bytes");
      expect(sizes.length).toBeGreaterThan(0);
      expect(sizes.some((s) => s.value > 0)).toBe(true);
      for (const name of ["cpu", "meminfo", "loadavg", "filesystem", "stat", "time", "uname"]) {
        expect(collectorStatus(e)[name], name).toBe(1);
      }
    },
  );
});
