import { MetricFamilyOut } from "./family.js";
import { fields, lines, parseNum } from "./fields.js";
import { errorCode, type HostFs } from "./host-fs.js";

/** The `total=` stall times of one `/proc/pressure/<resource>` file, in seconds; absent lines are undefined. */
export interface PressureTotals {
  /** Time at least one task was stalled on the resource. */
  some?: number;
  /** Time all non-idle tasks were stalled on it at once. */
  full?: number;
}

/** Reads the `some` and `full` lines of a PSI file; `total=` is in microseconds. Bad lines are skipped. */
export function parsePressure(text: string): PressureTotals {
  const out: PressureTotals = {};
  for (const line of lines(text)) {
    const f = fields(line);
    const kind = f[0];
    if (kind !== "some" && kind !== "full") continue;
    for (let i = 1; i < f.length; i++) {
      const t = f[i]!;
      if (!t.startsWith("total=")) continue;
      const us = parseNum(t.slice(6));
      if (!Number.isNaN(us)) out[kind] = us / 1000 / 1000;
      break;
    }
  }
  return out;
}

/** Which PSI line of which resource feeds which metric. */
const SERIES: readonly (readonly [resource: string, kind: "some" | "full", name: string, help: string])[] = [
  ["cpu", "some", "node_pressure_cpu_waiting_seconds_total", "Seconds some task waited for a CPU."],
  ["io", "some", "node_pressure_io_waiting_seconds_total", "Seconds some task waited for I/O."],
  ["io", "full", "node_pressure_io_stalled_seconds_total", "Seconds all non-idle tasks were stalled on I/O."],
  ["memory", "some", "node_pressure_memory_waiting_seconds_total", "Seconds some task waited for memory."],
  [
    "memory",
    "full",
    "node_pressure_memory_stalled_seconds_total",
    "Seconds all non-idle tasks were stalled on memory.",
  ],
  [
    "irq",
    "full",
    "node_pressure_irq_stalled_seconds_total",
    "Seconds all non-idle tasks were stalled by interrupt handling.",
  ],
];

const RESOURCES = ["cpu", "io", "memory", "irq"] as const;

async function readResource(fs: HostFs, resource: string): Promise<PressureTotals | undefined> {
  try {
    return parsePressure(await fs.readProc(`pressure/${resource}`));
  } catch (e) {
    // A kernel before 4.20 (6.1 for irq) or without CONFIG_PSI has no such file.
    if (errorCode(e) === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * The `pressure` collector: pressure stall totals from `/proc/pressure/{cpu,io,memory,irq}`. A missing
 * resource is left out; when all are missing (or PSI is switched off, `psi=0`) it fails.
 */
export async function collectPressure(fs: HostFs): Promise<MetricFamilyOut[]> {
  const totals = await Promise.all(RESOURCES.map((r) => readResource(fs, r)));
  if (totals.every((t) => t === undefined)) {
    throw new Error("no /proc/pressure: needs Linux 4.20+ built with CONFIG_PSI");
  }
  const byResource = new Map<string, PressureTotals | undefined>();
  for (let i = 0; i < RESOURCES.length; i++) byResource.set(RESOURCES[i]!, totals[i]);
  return SERIES.map(([resource, kind, name, help]) => {
    const family = new MetricFamilyOut(name, "counter", help);
    const v = byResource.get(resource)?.[kind];
    if (v !== undefined) family.add(v);
    return family;
  });
}
