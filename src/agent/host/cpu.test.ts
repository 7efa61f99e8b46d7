import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuState, collectCpu, parseCpuTimes } from "./cpu.js";
import { type MetricFamilyOut, toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));
const fixture = new NodeHostFs({ procPath: join(TESTDATA, "proc"), sysPath: join(TESTDATA, "sys") });

function series(families: MetricFamilyOut[]): Map<string, number> {
  return new Map(toExposition(families).samples.map((s) => [s.labels.toString(), s.value]));
}

describe("collectCpu", () => {
  it("exposes per-CPU seconds per mode from /proc/stat ticks", async () => {
    const got = series(await collectCpu(fixture));
    const table: [string, string, number][] = [
      ["0", "user", 123.45],
      ["0", "nice", 0.67],
      ["0", "system", 52.34],
      ["0", "idle", 4938.12],
      ["0", "iowait", 12],
      ["0", "irq", 0],
      ["0", "softirq", 3],
      ["0", "steal", 0.4],
      ["1", "user", 177.78],
      ["1", "nice", 0.53],
      ["1", "system", 52.22],
      ["1", "idle", 4938.42],
      ["1", "iowait", 11.45],
      ["1", "irq", 0],
      ["1", "softirq", 2.67],
      ["1", "steal", 0.49],
    ];
    for (const [cpu, mode, want] of table) {
      expect(got.get(`node_cpu_seconds_total{cpu="${cpu}", mode="${mode}"}`), `${cpu}/${mode}`).toBe(want);
    }
    expect(got.get('node_cpu_guest_seconds_total{cpu="0", mode="user"}')).toBe(0.1);
    expect(got.get('node_cpu_guest_seconds_total{cpu="0", mode="nice"}')).toBe(0.02);
    expect(got.get('node_cpu_guest_seconds_total{cpu="1", mode="user"}')).toBe(0);
    // 2 CPUs × 8 modes + 2 CPUs × 2 guest modes; the aggregate "cpu" line is not exposed.
    expect(got.size).toBe(20);
  });

  it("declares both families as counters", async () => {
    const { metadata } = toExposition(await collectCpu(fixture));
    expect(metadata.map((m) => [m.name, m.type])).toEqual([
      ["node_cpu_seconds_total", "counter"],
      ["node_cpu_guest_seconds_total", "counter"],
    ]);
    for (const m of metadata) expect(m.help).not.toBe("");
  });
});

describe("parseCpuTimes", () => {
  it("fills columns an old kernel lacks with 0 and skips malformed lines", () => {
    const got = parseCpuTimes(
      [
        "cpu  1 2 3 4",
        "cpu0 100 200 300 400",
        "cpu1 100 x 300 400 5 6 7 8",
        "cpu2 1 2",
        "cpufreq 1 2 3 4",
        "",
        "cpu3 100 200 300 400 500 600 700 800 900 1000 1100",
      ].join("\n"),
    );
    expect(got.map((c) => c.cpu)).toEqual(["0", "3"]);
    expect([...got[0]!.seconds]).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
    expect([...got[1]!.seconds]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("cpu", "cpu0", "cpu12", " ", "  ", "\t", "\n", "12", "-3", "x", "1.5", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseCpuTimes(text);
        },
      ),
    );
  });
});

describe("CpuState", () => {
  const stat = (user: number, idle: number) => `cpu0 ${user} 0 0 ${idle} 0 0 0 0\n`;

  it("keeps a counter that went backwards at its last value", () => {
    const state = new CpuState();
    const a = parseCpuTimes(stat(1000, 5000));
    state.apply(a);
    const b = parseCpuTimes(stat(900, 5100));
    state.apply(b);
    expect(b[0]!.seconds[0]).toBe(10);
    expect(b[0]!.seconds[3]).toBe(51);
  });

  it("starts over when idle drops by 3 s or more (CPU hot-plugged)", () => {
    const state = new CpuState();
    state.apply(parseCpuTimes(stat(1000, 5000)));
    const b = parseCpuTimes(stat(10, 100));
    state.apply(b);
    expect(b[0]!.seconds[0]).toBe(0.1);
    expect(b[0]!.seconds[3]).toBe(1);
  });

  it("forgets a CPU that went offline", () => {
    const state = new CpuState();
    state.apply(parseCpuTimes(stat(1000, 5000)));
    state.apply(parseCpuTimes("cpu1 1 0 0 1\n"));
    const back = parseCpuTimes(stat(500, 4999));
    state.apply(back);
    expect(back[0]!.seconds[0]).toBe(5);
  });
});
