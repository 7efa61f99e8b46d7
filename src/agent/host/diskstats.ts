import { MetricFamilyOut } from "./family.js";
import { fields, lines, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/**
 * Devices node-exporter leaves out by default: RAM disks, loop devices, floppies and partitions of
 * the usual disk kinds (`sda1`, `nvme0n1p1`), so that whole disks are not counted twice.
 */
export const DEFAULT_DISK_DEVICES_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** The 512-byte unit `/proc/diskstats` counts sectors in, whatever the device's own sector size. */
const SECTOR_BYTES = 512;
const MS = 0.001;

/** Columns after major, minor and name, in order: metric suffix, type, HELP, factor to the unit. */
const COLUMNS: readonly (readonly [string, "counter" | "gauge", string, number])[] = [
  ["reads_completed_total", "counter", "Reads completed.", 1],
  ["reads_merged_total", "counter", "Adjacent reads merged into one.", 1],
  ["read_bytes_total", "counter", "Bytes read.", SECTOR_BYTES],
  ["read_time_seconds_total", "counter", "Seconds spent on reads, summed over all reads.", MS],
  ["writes_completed_total", "counter", "Writes completed.", 1],
  ["writes_merged_total", "counter", "Adjacent writes merged into one.", 1],
  ["written_bytes_total", "counter", "Bytes written.", SECTOR_BYTES],
  ["write_time_seconds_total", "counter", "Seconds spent on writes, summed over all writes.", MS],
  ["io_now", "gauge", "I/Os in flight right now.", 1],
  ["io_time_seconds_total", "counter", "Seconds the device had I/O in flight.", MS],
  ["io_time_weighted_seconds_total", "counter", "Seconds of I/O in flight, weighted by queue depth.", MS],
  ["discards_completed_total", "counter", "Discards completed.", 1],
  ["discards_merged_total", "counter", "Adjacent discards merged into one.", 1],
  ["discarded_sectors_total", "counter", "Sectors discarded.", 1],
  ["discard_time_seconds_total", "counter", "Seconds spent on discards, summed over all discards.", MS],
  ["flush_requests_total", "counter", "Flush requests completed.", 1],
  ["flush_requests_time_seconds_total", "counter", "Seconds spent on flush requests.", MS],
];

/** The columns every kernel since 2.6 has; shorter lines are skipped. */
const MIN_COLUMNS = 11;

/** One device's line of `/proc/diskstats`. */
export interface DiskStats {
  /** Block device major number. */
  readonly major: string;
  /** Block device minor number. */
  readonly minor: string;
  /** Kernel device name (`sda`, `nvme0n1`). */
  readonly device: string;
  /** The raw columns after the name (11, 15 or 17 of them, more on future kernels). */
  readonly values: readonly number[];
}

/** The lines of `/proc/diskstats`; lines with fewer than 11 counters or bad numbers are skipped. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of lines(text)) {
    const f = fields(line);
    if (f.length < 3 + MIN_COLUMNS) continue;
    const n = Math.min(f.length - 3, COLUMNS.length);
    const values: number[] = [];
    for (let i = 0; i < n; i++) values.push(parseNum(f[i + 3]));
    if (values.some(Number.isNaN)) continue;
    out.push({ major: f[0]!, minor: f[1]!, device: f[2]!, values });
  }
  return out;
}

/** The `E:KEY=VALUE` properties of one udev database entry. */
function parseUdev(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    if (!line.startsWith("E:")) continue;
    const eq = line.indexOf("=");
    if (eq > 2) out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}

async function orEmpty(p: Promise<string>): Promise<string> {
  try {
    return await p;
  } catch {
    return "";
  }
}

/** Options of {@link collectDiskstats}. */
export interface DiskstatsOptions {
  /** Devices to leave out; default {@link DEFAULT_DISK_DEVICES_EXCLUDE}. */
  readonly devicesExclude?: RegExp;
  /** The udev database, relative to the host root; default `run/udev/data`. */
  readonly udevDataPath?: string;
}

/**
 * The `diskstats` collector: `node_disk_*{device}` from `/proc/diskstats`, sectors as bytes and
 * milliseconds as seconds, plus `node_disk_info` with what sysfs (`rotational`) and the udev database
 * (`path`, `wwn`, `model`, `serial`, `revision`) say about each device, where they can be read.
 */
export async function collectDiskstats(fs: HostFs, opts: DiskstatsOptions = {}): Promise<MetricFamilyOut[]> {
  const exclude = opts.devicesExclude ?? DEFAULT_DISK_DEVICES_EXCLUDE;
  const udevData = opts.udevDataPath ?? "run/udev/data";
  const disks = parseDiskstats(await fs.readProc("diskstats")).filter((d) => !exclude.test(d.device));
  const families = COLUMNS.map(
    ([suffix, type, help]) => new MetricFamilyOut(`node_disk_${suffix}`, type, help, ["device"]),
  );
  const info = new MetricFamilyOut("node_disk_info", "gauge", "Identity of a block device; always 1.", [
    "device",
    "major",
    "minor",
    "path",
    "wwn",
    "model",
    "serial",
    "revision",
    "rotational",
  ]);
  const extra = await Promise.all(
    disks.map((d) =>
      Promise.all([
        orEmpty(fs.readSys(`block/${d.device.replaceAll("/", "!")}/queue/rotational`)),
        orEmpty(fs.readRoot(`${udevData}/b${d.major}:${d.minor}`)),
      ]),
    ),
  );
  for (let k = 0; k < disks.length; k++) {
    const d = disks[k]!;
    for (let i = 0; i < d.values.length; i++) families[i]!.add(d.values[i]! * COLUMNS[i]![3], d.device);
    const [rotational, udevText] = extra[k]!;
    const udev = parseUdev(udevText);
    info.add(
      1,
      d.device,
      d.major,
      d.minor,
      udev.get("ID_PATH") ?? "",
      udev.get("ID_WWN") ?? "",
      udev.get("ID_MODEL") ?? "",
      udev.get("SCSI_IDENT_SERIAL") || udev.get("ID_SERIAL_SHORT") || "",
      udev.get("ID_REVISION") ?? "",
      rotational.trim(),
    );
  }
  families.push(info);
  return families;
}
