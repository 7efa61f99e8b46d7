import { hostname, machine, release, type, version } from "node:os";
import { MetricFamilyOut } from "./family.js";
import type { HostFs } from "./host-fs.js";

/** The fields of uname(2) that `node_uname_info` carries as labels. */
export interface Uname {
  /** `Linux`. */
  readonly sysname: string;
  /** Kernel release (`6.8.0-45-generic`). */
  readonly release: string;
  /** Kernel build string (`#45-Ubuntu SMP PREEMPT_DYNAMIC …`). */
  readonly version: string;
  /** Hardware name (`x86_64`, `aarch64`). */
  readonly machine: string;
  /** Host name. */
  readonly nodename: string;
  /** NIS domain name; `(none)` when unset. */
  readonly domainname: string;
}

async function kernelString(fs: HostFs, name: string, fallback: () => string): Promise<string> {
  try {
    const s = (await fs.readProc(`sys/kernel/${name}`)).trim();
    return s === "" ? fallback() : s;
  } catch {
    return fallback();
  }
}

/**
 * uname(2) as seen through `/proc/sys/kernel/{ostype,osrelease,version,hostname,domainname}`, each
 * falling back to `node:os` when unreadable; the machine comes from `node:os`.
 */
export async function readUname(fs: HostFs): Promise<Uname> {
  const [sysname, rel, ver, nodename, domainname] = await Promise.all([
    kernelString(fs, "ostype", type),
    kernelString(fs, "osrelease", release),
    kernelString(fs, "version", version),
    kernelString(fs, "hostname", hostname),
    kernelString(fs, "domainname", () => "(none)"),
  ]);
  return { sysname, release: rel, version: ver, machine: machine(), nodename, domainname };
}

/** The `uname` collector: `node_uname_info{sysname,release,version,machine,nodename,domainname} 1`. */
export async function collectUname(fs: HostFs): Promise<MetricFamilyOut[]> {
  const u = await readUname(fs);
  return [
    new MetricFamilyOut("node_uname_info", "gauge", "What uname(2) reports about the host; always 1.", [
      "sysname",
      "release",
      "version",
      "machine",
      "nodename",
      "domainname",
    ]).add(1, u.sysname, u.release, u.version, u.machine, u.nodename, u.domainname),
  ];
}
