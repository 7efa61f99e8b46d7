import { MetricFamilyOut } from "./family.js";
import { fields, lines, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/** Clock ticks per second in `/proc/stat` (USER_HZ); 100 on every architecture Linux ships today. */
export const USER_HZ = 100;

/** An idle counter that drops by at least this many seconds means the CPU was hot-plugged. */
const JUMP_BACK_SECONDS = 3;

/** The eight modes of `node_cpu_seconds_total`, in `/proc/stat` column order. */
const MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"] as const;

const IDLE = 3;
const GUEST = 8;
const GUEST_NICE = 9;
/** Columns read per CPU: the eight modes, then guest and guest_nice. */
const COLUMNS = 10;

/** One CPU's line of `/proc/stat`. */
export interface CpuTimes {
  /** The CPU number as a string (`"0"` for `cpu0`). */
  readonly cpu: string;
  /** Seconds per column: user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice. */
  readonly seconds: Float64Array;
}

/**
 * The per-CPU lines of `/proc/stat` (`cpuN …`, not the `cpu` total), ticks converted to seconds.
 * Columns an old kernel lacks count as 0; a line with fewer than four numbers or a non-number is skipped.
 */
export function parseCpuTimes(text: string): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of lines(text)) {
    if (!line.startsWith("cpu")) continue;
    const d = line.charCodeAt(3);
    if (d < 48 || d > 57) continue;
    const f = fields(line);
    if (f.length < 5) continue;
    const seconds = new Float64Array(COLUMNS);
    let ok = true;
    for (let i = 0; i < COLUMNS && i + 1 < f.length; i++) {
      const ticks = parseNum(f[i + 1]);
      if (Number.isNaN(ticks)) {
        ok = false;
        break;
      }
      seconds[i] = ticks / USER_HZ;
    }
    if (ok) out.push({ cpu: f[0]!.slice(3), seconds });
  }
  return out;
}

/**
 * What {@link collectCpu} remembers between collections so that exposed CPU counters never go
 * backwards: a column that drops keeps its last value, except when idle drops by 3 s or more, which
 * means the CPU was hot-plugged and its counters restart. Keep one per collector for its lifetime.
 */
export class CpuState {
  readonly #last = new Map<string, Float64Array>();

  /** Clamps `cpus` in place against the last exposed values, then remembers them. */
  apply(cpus: readonly CpuTimes[]): void {
    const present = new Set<string>();
    for (const c of cpus) {
      present.add(c.cpu);
      const prev = this.#last.get(c.cpu);
      if (prev !== undefined && prev[IDLE]! - c.seconds[IDLE]! < JUMP_BACK_SECONDS) {
        for (let i = 0; i < COLUMNS; i++) if (c.seconds[i]! < prev[i]!) c.seconds[i] = prev[i]!;
      }
      this.#last.set(c.cpu, c.seconds);
    }
    for (const cpu of this.#last.keys()) if (!present.has(cpu)) this.#last.delete(cpu);
  }
}

/**
 * The `cpu` collector: `node_cpu_seconds_total{cpu,mode}` and `node_cpu_guest_seconds_total{cpu,mode}`
 * from `/proc/stat`. Pass a long-lived `state` to keep counters monotonic across collections.
 */
export async function collectCpu(fs: HostFs, state?: CpuState): Promise<MetricFamilyOut[]> {
  const cpus = parseCpuTimes(await fs.readProc("stat"));
  if (cpus.length === 0) throw new Error("no per-CPU lines in /proc/stat");
  state?.apply(cpus);
  const seconds = new MetricFamilyOut(
    "node_cpu_seconds_total",
    "counter",
    "Seconds each CPU spent in each mode.",
    ["cpu", "mode"],
  );
  const guest = new MetricFamilyOut(
    "node_cpu_guest_seconds_total",
    "counter",
    "Seconds each CPU spent running virtual guests (already included in user and nice).",
    ["cpu", "mode"],
  );
  for (const { cpu, seconds: s } of cpus) {
    for (let i = 0; i < MODES.length; i++) seconds.add(s[i]!, cpu, MODES[i]!);
    guest.add(s[GUEST]!, cpu, "user");
    guest.add(s[GUEST_NICE]!, cpu, "nice");
  }
  return [seconds, guest];
}
