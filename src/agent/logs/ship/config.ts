/**
 * Settings of the log shipper. YAML names (for the agent config) are the snake_case forms, after
 * Promtail's `clients` block where one exists: `batch_size`, `batch_wait`, `timeout`,
 * `backoff_config.min_period`, `backoff_config.max_period`.
 */

import type { SyncMode } from "../../queue/index.js";
import { type ClientTls, protocolHeaders, SettingsCheck } from "../../remote-write/index.js";

/** The path of Loki's push API, appended to {@link LogShipperConfig.url}. */
export const PUSH_PATH = "/loki/api/v1/push";

/** Options of one shipper; every field but `url` and `dir` has a default. */
export interface LogShipperConfig {
  /**
   * The seed's base URL, e.g. `https://seed.example:8443` (then `tls` is required), or http for
   * tests; {@link PUSH_PATH} is appended unless the URL already ends with it.
   */
  readonly url: string;
  /** Directory of the shipper's disk queue (its own: not the metrics queue's). */
  readonly dir: string;
  /** mTLS client identity for https: the cluster's certificate. */
  readonly tls?: ClientTls;
  /**
   * Most bytes of entries per push request: lines and structured metadata with their timestamps and
   * framing as the push protobuf holds them (about 15 bytes an entry more than the line). Default
   * 512 KiB (`batch_size`; Promtail's is 1 MiB, but the agent holds up to a request per send lane in
   * memory, ADR 17).
   */
  readonly batchSizeBytes?: number;
  /** A partial request is sent once its oldest line was appended this long ago, ms. Default 1000 (`batch_wait`). */
  readonly batchWaitMs?: number;
  /** Per request, ms. Default 10 s (`timeout`). */
  readonly timeoutMs?: number;
  /**
   * Send lanes: requests in flight at once. Streams are spread over the lanes by a hash of their
   * labels, one request in flight per lane, so each stream's order holds. Default 4: after a seed
   * outage or stall the backlog drains at about `lanes × batchSize` per request time (2 lanes drained
   * a 20 s stall of the 20 MB/s bench several times slower); each lane costs a request's worth of memory.
   */
  readonly lanes?: number;
  /** Default 500 ms (`backoff_config.min_period`). */
  readonly minBackoffMs?: number;
  /** Default 10 s (`backoff_config.max_period`; Promtail's is 5 min, but it gives up after 10 tries). */
  readonly maxBackoffMs?: number;
  /** Cap on a server's `Retry-After`, ms. Default 60 s. */
  readonly maxRetryAfterMs?: number;
  /** Disk queue bound, bytes. Default 1 GiB (docs/format/agent-queue.md). */
  readonly maxQueueBytes?: number;
  /** Disk queue segment size, bytes. Default min(16 MiB, maxQueueBytes / 8). */
  readonly segmentBytes?: number;
  /** Default `interval`: lines are durable once `sync()` resolved, whatever the mode. */
  readonly syncMode?: SyncMode;
  /** Default 1000 ms. */
  readonly syncIntervalMs?: number;
  /** Target size of one disk-queue record, bytes. Default 128 KiB. */
  readonly recordBytes?: number;
  /** Default `mirador-agent`. */
  readonly userAgent?: string;
  /** Extra request headers; they cannot replace the protocol's own. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The config with every default filled in. */
export interface ResolvedLogShipperConfig {
  /** The full push URL. */
  readonly pushUrl: string;
  readonly dir: string;
  readonly tls: ClientTls | undefined;
  readonly batchSizeBytes: number;
  readonly batchWaitMs: number;
  readonly timeoutMs: number;
  readonly lanes: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryAfterMs: number;
  readonly maxQueueBytes: number | undefined;
  readonly segmentBytes: number | undefined;
  readonly syncMode: SyncMode;
  readonly syncIntervalMs: number;
  readonly recordBytes: number;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers the client sets itself for a push. */
const PROTOCOL_HEADERS = protocolHeaders("loki");

/** `url` with {@link PUSH_PATH} appended unless it ends with it already. */
export function pushUrlOf(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, "");
  if (!path.endsWith(PUSH_PATH)) u.pathname = `${path}${PUSH_PATH}`;
  return u.toString();
}

/** Fills in defaults and checks ranges; errors name the setting to change. */
export function resolveLogShipperConfig(c: LogShipperConfig): ResolvedLogShipperConfig {
  let pushUrl: string;
  try {
    pushUrl = pushUrlOf(c.url);
  } catch {
    throw new Error(`logs client url ${JSON.stringify(c.url)} is not a URL`);
  }
  if (pushUrl.startsWith("https:") && c.tls === undefined)
    throw new Error(`logs client url ${c.url} is https but no client certificate was given (tls)`);
  const r: ResolvedLogShipperConfig = {
    pushUrl,
    dir: c.dir,
    tls: c.tls,
    batchSizeBytes: c.batchSizeBytes ?? 512 * 1024,
    batchWaitMs: c.batchWaitMs ?? 1000,
    timeoutMs: c.timeoutMs ?? 10_000,
    lanes: c.lanes ?? 4,
    minBackoffMs: c.minBackoffMs ?? 500,
    maxBackoffMs: c.maxBackoffMs ?? 10_000,
    maxRetryAfterMs: c.maxRetryAfterMs ?? 60_000,
    maxQueueBytes: c.maxQueueBytes,
    segmentBytes: c.segmentBytes,
    syncMode: c.syncMode ?? "interval",
    syncIntervalMs: c.syncIntervalMs ?? 1000,
    recordBytes: c.recordBytes ?? 128 * 1024,
    userAgent: c.userAgent ?? "mirador-agent",
    headers: c.headers ?? {},
  };
  const check = new SettingsCheck("logs client");
  check.headers(r.headers, PROTOCOL_HEADERS, "push");
  const positive = (key: keyof ResolvedLogShipperConfig, yaml: string) => check.positive(r[key], yaml);
  positive("batchSizeBytes", "batch_size");
  positive("batchWaitMs", "batch_wait");
  positive("timeoutMs", "timeout");
  positive("minBackoffMs", "backoff_config.min_period");
  positive("maxBackoffMs", "backoff_config.max_period");
  positive("maxRetryAfterMs", "max retry-after");
  positive("recordBytes", "record size");
  if (!Number.isInteger(r.lanes) || r.lanes < 1 || r.lanes > 64)
    throw new Error(`logs client parallelism (lanes) must be a whole number from 1 to 64, got ${r.lanes}`);
  check.notAbove(r.minBackoffMs, "backoff_config.min_period", r.maxBackoffMs, "max_period", " ms");
  return r;
}
