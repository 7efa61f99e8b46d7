import { DiskQueue } from "./disk-queue.js";
import type { DropReason } from "./errors.js";
import type { SyncMode } from "./writer-loop.js";

/** Receives a disk queue's losses: `records` records of `bytes` bytes, for `reason`. */
export type DropListener = (reason: DropReason, records: number, bytes: number) => void;

/** An owner's resolved queue settings, as the metrics queue and the log shipper both hold them. */
export interface OwnedQueueSettings {
  readonly dir: string;
  /** Default: the disk queue's. */
  readonly maxQueueBytes: number | undefined;
  /** Default: the disk queue's. */
  readonly segmentBytes: number | undefined;
  readonly syncMode: SyncMode;
  readonly syncIntervalMs: number;
}

/**
 * Opens (recovering) the disk queue in `cfg.dir` for an owner that does not exist yet: the queue's
 * opening may already drop records (a torn tail, a corrupt segment), before the owner that counts
 * and logs drops can be built from the queue. Those early drops are kept and handed to the listener
 * given to `attach`, in order, and every later one goes straight to it. Used by the metrics queue
 * and the log shipper.
 */
export async function openOwnedQueue(
  cfg: OwnedQueueSettings,
  now?: () => number,
): Promise<{ readonly queue: DiskQueue; attach(listener: DropListener): void }> {
  let listener: DropListener | undefined;
  const early: [DropReason, number, number][] = [];
  const queue = await DiskQueue.open(cfg.dir, {
    ...(cfg.maxQueueBytes !== undefined && { maxBytes: cfg.maxQueueBytes }),
    ...(cfg.segmentBytes !== undefined && { segmentBytes: cfg.segmentBytes }),
    syncMode: cfg.syncMode,
    syncIntervalMs: cfg.syncIntervalMs,
    ...(now !== undefined && { now }),
    onDrop: (reason, records, bytes) => {
      if (listener === undefined) early.push([reason, records, bytes]);
      else listener(reason, records, bytes);
    },
  });
  return {
    queue,
    attach(l) {
      listener = l;
      for (const [reason, records, bytes] of early.splice(0)) l(reason, records, bytes);
    },
  };
}
