import { MetricFamilyOut } from "./family.js";
import { fields, lines } from "./fields.js";
import { errorCode, type HostFs, type StatFsResult } from "./host-fs.js";

/**
 * Mount points node-exporter leaves out by default: the kernel's pseudo trees and the layers of
 * container runtimes.
 */
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** Filesystem types node-exporter leaves out by default: pseudo, read-only image and overlay filesystems. */
export const DEFAULT_FS_TYPES_EXCLUDE: ReadonlySet<string> = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "fusectl",
  "hugetlbfs",
  "iso9660",
  "mqueue",
  "nsfs",
  "overlay",
  "proc",
  "procfs",
  "pstore",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "erofs",
  "sysfs",
  "tracefs",
]);

/** The `device_error` label of a mount whose statfs did not answer in time. */
const TIMEOUT_ERROR = "mountpoint timeout";

/** How Go's syscall package spells the errno values statfs(2) can fail with, for `device_error`. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  EIO: "input/output error",
  ENOTCONN: "transport endpoint is not connected",
  ESTALE: "stale NFS file handle",
  EOVERFLOW: "value too large for defined data type",
  ENOSYS: "function not implemented",
  EINTR: "interrupted system call",
  ETIMEDOUT: "connection timed out",
  EHOSTDOWN: "host is down",
  ENAMETOOLONG: "file name too long",
};

/** One line of the mount table. */
export interface MountEntry {
  /** Mount source (`/dev/sda1`, `tmpfs`, `server:/export`): the `device` label. */
  readonly device: string;
  /** Where it is mounted, as the host sees it: the `mountpoint` label. */
  readonly mountPoint: string;
  /** Filesystem type: the `fstype` label. */
  readonly fsType: string;
  /** Per-mount options (`rw,relatime`). */
  readonly mountOptions: string;
  /** Per-superblock options; `""` from `/proc/mounts`, which merges them into `mountOptions`. */
  readonly superOptions: string;
  /** Device major number; `""` from `/proc/mounts`. */
  readonly major: string;
  /** Device minor number; `""` from `/proc/mounts`. */
  readonly minor: string;
}

/** Undoes the kernel's octal escapes in mount table paths (`\040` is a space, `\011` a tab). */
function unescapeOctal(s: string): string {
  if (!s.includes("\\")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 3 < s.length && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

function isOctal(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 55;
}

/**
 * A mount point with the host root prefix removed: when the collector runs in a container with the
 * host's `/` at `rootPath`, `/host/root/boot` is the host's `/boot`.
 */
function stripRoot(mountPoint: string, rootPath: string): string {
  if (rootPath === "/" || rootPath === "") return mountPoint;
  const root = rootPath.endsWith("/") ? rootPath.slice(0, -1) : rootPath;
  if (mountPoint === root) return "/";
  if (mountPoint.startsWith(`${root}/`)) return mountPoint.slice(root.length);
  return mountPoint;
}

/** Parses `/proc/<pid>/mountinfo` (proc(5)); malformed lines are skipped. */
export function parseMountInfo(text: string, rootPath = "/"): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of lines(text)) {
    const f = line.split(" ");
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const sep = f.indexOf("-", 6);
    if (sep < 0 || f.length < sep + 4) continue;
    const mm = f[2]!;
    const colon = mm.indexOf(":");
    if (colon <= 0) continue;
    out.push({
      device: unescapeOctal(f[sep + 2]!),
      mountPoint: stripRoot(unescapeOctal(f[4]!), rootPath),
      fsType: f[sep + 1]!,
      mountOptions: f[5]!,
      superOptions: f[sep + 3]!,
      major: mm.slice(0, colon),
      minor: mm.slice(colon + 1),
    });
  }
  return out;
}

/** Parses `/proc/mounts` (fstab(5) format), the fallback when no mountinfo is readable. */
export function parseProcMounts(text: string, rootPath = "/"): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of lines(text)) {
    const f = fields(line);
    if (f.length < 4) continue;
    out.push({
      device: unescapeOctal(f[0]!),
      mountPoint: stripRoot(unescapeOctal(f[1]!), rootPath),
      fsType: f[2]!,
      mountOptions: f[3]!,
      superOptions: "",
      major: "",
      minor: "",
    });
  }
  return out;
}

/** The mount table of PID 1 (the host's view), else of this process, else `/proc/mounts`. */
async function readMounts(fs: HostFs): Promise<MountEntry[]> {
  try {
    return parseMountInfo(await fs.readProc("1/mountinfo"), fs.rootPath);
  } catch {
    // hidepid or no host PID namespace: fall through to our own view.
  }
  try {
    return parseMountInfo(await fs.readProc("self/mountinfo"), fs.rootPath);
  } catch {
    return parseProcMounts(await fs.readProc("mounts"), fs.rootPath);
  }
}

function hasOption(options: string, name: string): boolean {
  for (const o of options.split(",")) if (o === name) return true;
  return false;
}

/**
 * What {@link collectFilesystem} remembers between collections: the statfs calls that outlived their
 * timeout, by mount point. Such a mount is reported with `device_error="mountpoint timeout"` and not
 * asked again until its call returns, so a hung NFS server ties up at most one of libuv's threads per
 * mount. Keep one per collector for its lifetime.
 */
export class FilesystemState {
  /** Outstanding statfs calls past their timeout; each removes itself when it settles. */
  readonly stuck = new Map<string, Promise<void>>();
}

/** Options of {@link collectFilesystem}. */
export interface FilesystemOptions {
  /** How long one statfs may take, in milliseconds; default 5000. */
  readonly timeoutMs?: number;
  /** statfs calls in flight at once; default 2, to leave libuv's small thread pool to the rest. */
  readonly concurrency?: number;
  /** Mount points to leave out; default {@link DEFAULT_MOUNT_POINTS_EXCLUDE}. */
  readonly mountPointsExclude?: RegExp;
  /** Filesystem types to leave out; default {@link DEFAULT_FS_TYPES_EXCLUDE}. */
  readonly fsTypesExclude?: ReadonlySet<string>;
}

type StatOutcome = StatFsResult | { readonly error: string };

function errorText(e: unknown): string {
  const code = errorCode(e);
  if (code !== undefined) return ERRNO_TEXT[code] ?? code.toLowerCase();
  return e instanceof Error ? e.message : String(e);
}

async function statWithTimeout(
  fs: HostFs,
  mountPoint: string,
  state: FilesystemState,
  timeoutMs: number,
): Promise<StatOutcome> {
  const call = fs.statfs(mountPoint);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(resolve, timeoutMs, "timeout");
    timer.unref();
  });
  try {
    const r = await Promise.race([call, timeout]);
    if (r !== "timeout") return r;
    state.stuck.set(
      mountPoint,
      call.then(
        () => {
          state.stuck.delete(mountPoint);
        },
        () => {
          state.stuck.delete(mountPoint);
        },
      ),
    );
    return { error: TIMEOUT_ERROR };
  } catch (e) {
    return { error: errorText(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The `filesystem` collector: size, free and available bytes, inodes, read-only flag and statfs errors
 * of every mounted filesystem that the exclusions let through, labelled
 * `{device, device_error, fstype, mountpoint}` (`device_error` only when there was one), plus
 * `node_filesystem_mount_info{device,major,minor,mountpoint}`. Each statfs is bounded by a timeout;
 * pass a long-lived `state` so that a hung mount is not asked again every collection.
 */
export async function collectFilesystem(
  fs: HostFs,
  state: FilesystemState = new FilesystemState(),
  opts: FilesystemOptions = {},
): Promise<MetricFamilyOut[]> {
  const mpExclude = opts.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE;
  const typeExclude = opts.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const concurrency = Math.max(1, opts.concurrency ?? 2);

  const seen = new Set<string>();
  const mounts: MountEntry[] = [];
  for (const m of await readMounts(fs)) {
    if (mpExclude.test(m.mountPoint) || typeExclude.has(m.fsType)) continue;
    const key = `${m.device}\0${m.mountPoint}\0${m.fsType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mounts.push(m);
  }

  const outcomes: StatOutcome[] = new Array(mounts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < mounts.length) {
      const i = next++;
      const m = mounts[i]!;
      outcomes[i] = state.stuck.has(m.mountPoint)
        ? { error: TIMEOUT_ERROR }
        : await statWithTimeout(fs, m.mountPoint, state, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, mounts.length) }, worker));

  const labels = ["device", "device_error", "fstype", "mountpoint"];
  const size = new MetricFamilyOut(
    "node_filesystem_size_bytes",
    "gauge",
    "Filesystem size, in bytes.",
    labels,
  );
  const free = new MetricFamilyOut("node_filesystem_free_bytes", "gauge", "Free space, in bytes.", labels);
  const avail = new MetricFamilyOut(
    "node_filesystem_avail_bytes",
    "gauge",
    "Free space that unprivileged users may use, in bytes.",
    labels,
  );
  const files = new MetricFamilyOut("node_filesystem_files", "gauge", "Inodes in total.", labels);
  const filesFree = new MetricFamilyOut("node_filesystem_files_free", "gauge", "Free inodes.", labels);
  const readonly = new MetricFamilyOut(
    "node_filesystem_readonly",
    "gauge",
    "Whether the filesystem is mounted read-only (1) or not (0).",
    labels,
  );
  const deviceError = new MetricFamilyOut(
    "node_filesystem_device_error",
    "gauge",
    "Whether statfs failed for this mount (1) or not (0); device_error says why.",
    labels,
  );
  const mountInfo = new MetricFamilyOut(
    "node_filesystem_mount_info",
    "gauge",
    "Which device is mounted where; always 1.",
    ["device", "major", "minor", "mountpoint"],
  );

  const infoSeen = new Set<string>();
  for (let i = 0; i < mounts.length; i++) {
    const m = mounts[i]!;
    const o = outcomes[i]!;
    const ro = hasOption(m.mountOptions, "ro") || hasOption(m.superOptions, "ro") ? 1 : 0;
    if ("error" in o) {
      deviceError.add(1, m.device, o.error, m.fsType, m.mountPoint);
      readonly.add(ro, m.device, o.error, m.fsType, m.mountPoint);
      continue;
    }
    const l = [m.device, "", m.fsType, m.mountPoint] as const;
    deviceError.add(0, ...l);
    readonly.add(ro, ...l);
    size.add(o.blocks * o.bsize, ...l);
    free.add(o.bfree * o.bsize, ...l);
    avail.add(o.bavail * o.bsize, ...l);
    files.add(o.files, ...l);
    filesFree.add(o.ffree, ...l);
    const infoKey = `${m.device}\0${m.major}:${m.minor}\0${m.mountPoint}`;
    if (m.major !== "" && !infoSeen.has(infoKey)) {
      infoSeen.add(infoKey);
      mountInfo.add(1, m.device, m.major, m.minor, m.mountPoint);
    }
  }
  return [size, free, avail, files, filesFree, readonly, deviceError, mountInfo];
}
