/**
 * Settings of one remote-write destination. YAML names (for the agent config) are the snake_case
 * forms: `max_samples_per_send`, `batch_send_deadline`, `min_shards`, … as in Prometheus's
 * `queue_config`.
 */
import type { SyncMode } from "../queue/index.js";
import { protocolHeaders } from "./http-client.js";
import type { ClientTls } from "./identity-agent.js";
import type { RemoteWriteVersion } from "./request-encoder.js";
import { SettingsCheck } from "./settings-check.js";

/** The `protobuf_message` values of Prometheus's remote_write config. */
export type ProtobufMessage = "prometheus.WriteRequest" | "io.prometheus.write.v2.Request";

/** Options of one queue; every field but `name`, `url` and `dir` has a default. */
export interface RemoteWriteQueueConfig {
  /** The `remote` label of the self-metrics and the logs. */
  readonly name: string;
  /** The remote-write URL: https (then `tls` is required) or http (tests). */
  readonly url: string;
  /** Directory of the disk queue (one per destination). */
  readonly dir: string;
  /** mTLS client identity for https. */
  readonly tls?: ClientTls;
  /** Default `prometheus.WriteRequest` (remote-write 1.0). */
  readonly protobufMessage?: ProtobufMessage;
  /** On a 415 to a 2.0 request, send 1.0 from then on (until restart). Default true. */
  readonly fallbackToV1?: boolean;
  /** Per request, ms. Default 30 s (Prometheus's `remote_timeout`). */
  readonly timeoutMs?: number;
  /** Default 1. */
  readonly minShards?: number;
  /** Default 10 (Prometheus: 50); see docs/format/agent-queue-records.md, "Sending". */
  readonly maxShards?: number;
  /** Default 2000. */
  readonly maxSamplesPerSend?: number;
  /** A shard sends a partial batch once its oldest sample waited this long, ms. Default 5000. */
  readonly batchSendDeadlineMs?: number;
  /** Samples read ahead of sending, per shard. Default 10,000 (Prometheus's `capacity`). */
  readonly capacity?: number;
  /** Default 30 ms. */
  readonly minBackoffMs?: number;
  /** Default 5000 ms. */
  readonly maxBackoffMs?: number;
  /** Cap on a server's `Retry-After`, ms. Default 60 s. */
  readonly maxRetryAfterMs?: number;
  /** How often the desired shards are evaluated, ms. Default 10 s. */
  readonly shardUpdateIntervalMs?: number;
  /** Disk queue bound, bytes. Default 1 GiB. */
  readonly maxQueueBytes?: number;
  /** Disk queue segment size, bytes. Default min(16 MiB, maxQueueBytes / 8). */
  readonly segmentBytes?: number;
  /** Default `interval`. */
  readonly syncMode?: SyncMode;
  /** Default 1000 ms. */
  readonly syncIntervalMs?: number;
  /** A batch larger than this is split into several records. Default 50,000. */
  readonly maxSamplesPerRecord?: number;
  /** Default `mirador-agent`. */
  readonly userAgent?: string;
  /**
   * Extra request headers (Prometheus's `remote_write.headers`), e.g. `X-Scope-OrgID` for a
   * multi-tenant receiver; they cannot replace the protocol's own headers.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The config with every default filled in. */
export interface ResolvedConfig {
  readonly name: string;
  readonly url: string;
  readonly dir: string;
  readonly tls: ClientTls | undefined;
  readonly version: RemoteWriteVersion;
  readonly fallbackToV1: boolean;
  readonly timeoutMs: number;
  readonly minShards: number;
  readonly maxShards: number;
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadlineMs: number;
  readonly capacity: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryAfterMs: number;
  readonly shardUpdateIntervalMs: number;
  readonly maxQueueBytes: number | undefined;
  readonly segmentBytes: number | undefined;
  readonly syncMode: SyncMode;
  readonly syncIntervalMs: number;
  readonly maxSamplesPerRecord: number;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers the client sets itself. */
const PROTOCOL_HEADERS = protocolHeaders("1.0");

/** Fills in defaults and checks ranges; errors name the setting to change. */
export function resolveConfig(c: RemoteWriteQueueConfig): ResolvedConfig {
  const r: ResolvedConfig = {
    name: c.name,
    url: c.url,
    dir: c.dir,
    tls: c.tls,
    version: c.protobufMessage === "io.prometheus.write.v2.Request" ? "2.0" : "1.0",
    fallbackToV1: c.fallbackToV1 ?? true,
    timeoutMs: c.timeoutMs ?? 30_000,
    minShards: c.minShards ?? 1,
    maxShards: c.maxShards ?? 10,
    maxSamplesPerSend: c.maxSamplesPerSend ?? 2000,
    batchSendDeadlineMs: c.batchSendDeadlineMs ?? 5000,
    capacity: c.capacity ?? 10_000,
    minBackoffMs: c.minBackoffMs ?? 30,
    maxBackoffMs: c.maxBackoffMs ?? 5000,
    maxRetryAfterMs: c.maxRetryAfterMs ?? 60_000,
    shardUpdateIntervalMs: c.shardUpdateIntervalMs ?? 10_000,
    maxQueueBytes: c.maxQueueBytes,
    segmentBytes: c.segmentBytes,
    syncMode: c.syncMode ?? "interval",
    syncIntervalMs: c.syncIntervalMs ?? 1000,
    maxSamplesPerRecord: c.maxSamplesPerRecord ?? 50_000,
    userAgent: c.userAgent ?? "mirador-agent",
    headers: c.headers ?? {},
  };
  const check = new SettingsCheck(`remote_write ${c.name}:`);
  check.headers(r.headers, PROTOCOL_HEADERS, "remote-write");
  const positive = (key: keyof ResolvedConfig, yaml: string) => check.positive(r[key], yaml);
  positive("timeoutMs", "remote_timeout");
  positive("minShards", "queue_config.min_shards");
  positive("maxShards", "queue_config.max_shards");
  positive("maxSamplesPerSend", "queue_config.max_samples_per_send");
  positive("batchSendDeadlineMs", "queue_config.batch_send_deadline");
  positive("capacity", "queue_config.capacity");
  positive("minBackoffMs", "queue_config.min_backoff");
  positive("maxBackoffMs", "queue_config.max_backoff");
  positive("shardUpdateIntervalMs", "shard update interval");
  positive("maxSamplesPerRecord", "max samples per record");
  check.notAbove(r.minShards, "queue_config.min_shards", r.maxShards, "max_shards");
  check.notAbove(r.minBackoffMs, "queue_config.min_backoff", r.maxBackoffMs, "max_backoff", " ms");
  return r;
}
