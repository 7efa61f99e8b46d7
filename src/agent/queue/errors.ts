/**
 * The disk queue's typed errors and the reasons it counts losses under (docs/format/agent-queue.md).
 * None of them is an HTTP error: the queue lives in the agent, between collection and sending.
 */

/** Stable codes of {@link QueueError}. */
export type QueueErrorCode =
  /** `append()`/`sync()` after `close()`. */
  | "queue_closed"
  /** An earlier write or sync failed; appends are refused until the agent restarts. */
  | "queue_failed"
  /** A payload is empty or larger than the queue's limit (see `DiskQueue.maxPayloadBytes`). */
  | "queue_bad_record"
  /** Options that cannot work, e.g. `maxBytes` below twice `segmentBytes`. */
  | "queue_invalid";

/** An error of the disk queue, with a stable {@link QueueErrorCode} and a message saying what to do. */
export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "QueueError";
  }
}

/**
 * Why records were lost, as reported to `onDrop` and counted in the stats:
 * - `max_bytes`: the oldest segment was dropped to stay within `maxBytes`;
 * - `corrupt`: a damaged frame or segment header was skipped while reading;
 * - `torn_tail`: the end of the last segment failed its checks at open and was cut off (bytes only:
 *   how many records it held cannot be known);
 * - `io_error`: records buffered when a write or sync failed.
 */
export type DropReason = "max_bytes" | "corrupt" | "torn_tail" | "io_error";

/** Every {@link DropReason}, for tables and metrics. */
export const DROP_REASONS: readonly DropReason[] = ["max_bytes", "corrupt", "torn_tail", "io_error"];

/** Why a frame failed its checks (docs/format/agent-queue.md, "Checking a frame"). */
export type FrameProblem = "short_header" | "bad_length" | "short_record" | "checksum";
