import type { Logger } from "../lib/log/logger.js";

/** Least time between two store writes of one cluster's `lastSeenAt`, in milliseconds. */
export const TOUCH_INTERVAL_MS = 10_000;

/** How long last-seen times are collected before they are written in one transaction, in milliseconds. */
export const TOUCH_FLUSH_DELAY_MS = 1_000;

/** Writes last-seen times; one call is one transaction. */
export type LastSeenWrite = (entries: { name: string; at: string }[]) => Promise<void>;

/**
 * Turns the gateway's per-request "cluster seen" notes into few store writes: a cluster's time is
 * queued at most once per {@link TOUCH_INTERVAL_MS}, and what is queued is written together
 * {@link TOUCH_FLUSH_DELAY_MS} after the first note (an unref'd timer). Lossy by design: a crash
 * loses at most the last interval of last-seen times.
 */
export class LastSeenBatcher {
  /** Per cluster: when (ms) its time was last queued. */
  readonly #queuedAt = new Map<string, number>();
  readonly #pending = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: LastSeenWrite,
    private readonly log: Logger,
  ) {}

  /** Notes that `cluster` was seen at `when`. */
  note(cluster: string, when: Date): void {
    const queued = this.#queuedAt.get(cluster);
    if (queued !== undefined && when.getTime() - queued < TOUCH_INTERVAL_MS) return;
    this.#queuedAt.set(cluster, when.getTime());
    this.#pending.set(cluster, when.toISOString());
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), TOUCH_FLUSH_DELAY_MS);
      this.#timer.unref();
    }
  }

  /** Drops what is known of `cluster` (it was deleted). */
  forget(cluster: string): void {
    this.#queuedAt.delete(cluster);
    this.#pending.delete(cluster);
  }

  /** Writes the queued times now, in one call of `write`. Never rejects: a failure is logged. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const entries = [...this.#pending].map(([name, at]) => ({ name, at }));
    this.#pending.clear();
    try {
      await this.write(entries);
    } catch (err) {
      this.log.warn("could not record when clusters were last seen", { clusters: entries.length, err });
    }
  }
}
