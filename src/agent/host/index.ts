/**
 * The edge agent's built-in host collector: node-exporter's core Linux metrics read straight from
 * `/proc` and `/sys`, under node-exporter's names and labels.
 */
export { CpuState, collectCpu, USER_HZ } from "./cpu.js";
export { collectDiskstats, DEFAULT_DISK_DEVICES_EXCLUDE, type DiskstatsOptions } from "./diskstats.js";
export { type HostMetricType, MetricFamilyOut, toExposition } from "./family.js";
export {
  collectFilesystem,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  type FilesystemOptions,
  FilesystemState,
} from "./filesystem.js";
export {
  HOST_COLLECTORS,
  HostCollector,
  type HostCollectorName,
  type HostCollectorOptions,
} from "./host-collector.js";
export { type HostFs, type HostPaths, NodeHostFs, type StatFsResult, withReadCache } from "./host-fs.js";
export { collectLoadavg } from "./loadavg.js";
export { collectMeminfo } from "./meminfo.js";
export { collectNetdev } from "./netdev.js";
export { collectPressure } from "./pressure.js";
export { collectStat } from "./stat.js";
export { collectTime } from "./time.js";
export { collectUname } from "./uname.js";
