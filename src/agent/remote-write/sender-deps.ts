import type { Registry } from "prom-client";
import type { Logger } from "../../lib/log/logger.js";

/**
 * What a sender of the agent (the remote-write queue, the log shipper) uses from outside; the
 * clock, randomness and sleep can be replaced in tests.
 */
export interface SenderDeps {
  readonly logger: Logger;
  /** Where the sender's self-metrics go (`mirador_agent_remote_write_*`, `mirador_agent_logs_*`). */
  readonly metrics: Registry;
  /** Unix ms; default `Date.now`. Stamps records (and times the log shipper's `batchWait`). */
  readonly now?: () => number;
  /** Default `Math.random` (backoff jitter). */
  readonly random?: () => number;
  /** Every wait (backoff, `batchWait`); must resolve early when `signal` aborts. Default a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}
