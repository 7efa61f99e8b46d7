import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Peak resident set size of a process in bytes (VmHWM), from /proc/<pid>/status. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Bytes of all files below `dir` whose path (relative to `dir`) satisfies `keep`. */
export function dirBytes(dir: string, keep: (rel: string) => boolean = () => true, rel = ""): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(join(dir, rel));
  } catch {
    return 0;
  }
  for (const e of entries) {
    const r = rel === "" ? e : `${rel}/${e}`;
    const st = statSync(join(dir, r));
    if (st.isDirectory()) total += dirBytes(dir, keep, r);
    else if (keep(r)) total += st.size;
  }
  return total;
}
