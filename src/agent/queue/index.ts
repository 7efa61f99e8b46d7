/**
 * The agent's disk-backed queue between collection and sending, shared by the metrics and the logs
 * side (docs/format/agent-queue.md). `const q = await DiskQueue.open(dir, opts)`; producers
 * `q.append(payload)` (and `await q.sync()` before acknowledging anything upstream); the sender
 * `const b = await q.read(n, bytes)`, delivers `b.records`, then `q.ack(b.token)`.
 */
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_SEGMENT_BYTES,
  DEFAULT_SYNC_INTERVAL_MS,
  DiskQueue,
  type DiskQueueOptions,
  type DropCount,
  MIN_SEGMENT_BYTES,
  type OpenReport,
  type QueueBatch,
  type QueueStats,
} from "./disk-queue.js";
export { DROP_REASONS, type DropReason, QueueError, type QueueErrorCode } from "./errors.js";
export { type DropListener, type OwnedQueueSettings, openOwnedQueue } from "./owned-queue.js";
export type { CursorState, TornTail } from "./recover.js";
export type { SyncMode } from "./writer-loop.js";
