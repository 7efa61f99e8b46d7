import { MetricFamilyOut } from "./family.js";
import { fieldAt, lines, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/** The system-wide counters of `/proc/stat`; a key the file lacks is `undefined`. */
export interface ProcStat {
  /** Boot time, Unix seconds (`btime`). */
  bootTime?: number;
  /** Context switches since boot (`ctxt`). */
  contextSwitches?: number;
  /** Processes and threads created since boot (`processes`). */
  forks?: number;
  /** Interrupts serviced since boot (first number of `intr`). */
  interrupts?: number;
  /** Runnable threads now (`procs_running`). */
  procsRunning?: number;
  /** Threads blocked on I/O now (`procs_blocked`). */
  procsBlocked?: number;
}

/** Reads the system-wide lines of `/proc/stat`; unknown or malformed lines are skipped. */
export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = {};
  for (const line of lines(text)) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const key = line.slice(0, sp);
    // Only the first number is needed, even from the very long intr line.
    const value = parseNum(fieldAt(line, 1));
    if (Number.isNaN(value)) continue;
    switch (key) {
      case "btime":
        out.bootTime = value;
        break;
      case "ctxt":
        out.contextSwitches = value;
        break;
      case "processes":
        out.forks = value;
        break;
      case "intr":
        out.interrupts = value;
        break;
      case "procs_running":
        out.procsRunning = value;
        break;
      case "procs_blocked":
        out.procsBlocked = value;
        break;
    }
  }
  return out;
}

function single(
  name: string,
  type: "counter" | "gauge",
  help: string,
  value: number | undefined,
): MetricFamilyOut {
  const f = new MetricFamilyOut(name, type, help);
  if (value !== undefined) f.add(value);
  return f;
}

/**
 * The `stat` collector: boot time, context switches, forks, interrupts and running/blocked threads
 * from `/proc/stat`.
 */
export async function collectStat(fs: HostFs): Promise<MetricFamilyOut[]> {
  const s = parseProcStat(await fs.readProc("stat"));
  const families = [
    single("node_boot_time_seconds", "gauge", "When the host booted, in Unix seconds.", s.bootTime),
    single("node_context_switches_total", "counter", "Context switches since boot.", s.contextSwitches),
    single("node_forks_total", "counter", "Processes and threads created since boot.", s.forks),
    single("node_intr_total", "counter", "Interrupts serviced since boot.", s.interrupts),
    single("node_procs_running", "gauge", "Threads that are runnable right now.", s.procsRunning),
    single("node_procs_blocked", "gauge", "Threads blocked waiting for I/O right now.", s.procsBlocked),
  ];
  if (families.every((f) => f.length === 0)) throw new Error("no known keys in /proc/stat");
  return families;
}
