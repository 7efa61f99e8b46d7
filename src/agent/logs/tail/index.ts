/**
 * Log collection on a node: tailing files across rotations, decoding container log formats, and
 * saving positions. See {@link TailManager} for the loop the agent runs.
 */
export type { CriScan } from "./cri.js";
export { looksLikeCri, newCriScan, parseCriLine, scanCriLine } from "./cri.js";
export { parseDockerLine } from "./docker.js";
export type { FileTailerOptions, LineBatch, Position, TailerStats } from "./file-tailer.js";
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES, FileTailer, SharedReadBuffer } from "./file-tailer.js";
export { expandGlob, matchGlob } from "./glob.js";
export type { KubePathLabels } from "./kube-path.js";
export { kubeLabelsFromPath } from "./kube-path.js";
export type { JoinedLine } from "./partial-joiner.js";
export { DEFAULT_MAX_JOINED_BYTES, PartialJoiner } from "./partial-joiner.js";
export type { PositionsFileOptions } from "./positions.js";
export { POSITIONS_VERSION, PositionsFile, PositionsFileError } from "./positions.js";
export type { LogRecord, MalformedRecord, ParsedRecord, Stream } from "./record.js";
export type { Rfc3339Time } from "./rfc3339.js";
export { lastSubMsNanos, parseRfc3339Into, parseRfc3339Ms, parseRfc3339Nano } from "./rfc3339.js";
export type {
  EntryBatch,
  LineFormat,
  LineSink,
  LogEntry,
  PositionSource,
  TailManagerOptions,
  TailStats,
  TailTarget,
} from "./tail-manager.js";
export { DEFAULT_POD_TARGET, TailManager } from "./tail-manager.js";
