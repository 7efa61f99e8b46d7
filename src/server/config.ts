import { readFileSync } from "node:fs";
import { parse as parseYAML } from "yaml";
import { z } from "zod";
import { parseByteSize } from "../agent/config/byte-size.js";
import { scrapeConfigsSchema } from "../agent/config/scrape-config.js";
import { kubernetesSdConfigSchema } from "../agent/discovery/kubernetes/config.js";
import { relabelConfigsSchema } from "../agent/relabel/schema.js";
import { parseDurationMs } from "../lib/duration/duration.js";
import { DEFAULT_LOG_INGEST_LIMITS } from "../logs/ingest/limits.js";
import { DEFAULT_LIMITS } from "../metrics/limits/limits.js";

const MiB = 1024 * 1024;

/** A Prometheus duration string (`15s`, `1h30m`) read as milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration such as "15s" or "1h30m", got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const duration = durationSchema;
const port = z.number().int().min(0).max(65535);
const tlsFiles = z.strictObject({ cert_file: z.string(), key_file: z.string(), ca_file: z.string() });

/** A byte size such as `512MiB` or `1GB` (Prometheus's units) read as bytes. */
const byteSize = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a size such as "512MiB" or "2GB", got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** The agent's configuration (`mirador agent --config FILE`, or built by `mirador up` per demo cluster). */
export const agentConfigSchema = z
  .strictObject({
    /** The cluster this agent ships for; becomes the `cluster` label and must match its certificate. */
    cluster: z.string().min(1),
    /** The seed gateway's remote-write URL (https with `tls`; http only for tests and benchmarks). */
    remote_write_url: z.string().url(),
    tls: tlsFiles.optional(),
    /**
     * The seed's control channel on the gateway (docs/api/agent-protocol.md): configuration pushed
     * from the registry, heartbeats and certificate renewal. On by default when `remote_write_url` is
     * https; `url` defaults to the origin of `remote_write_url`.
     */
    control: z
      .strictObject({
        enabled: z.boolean().optional(),
        url: z.string().url().optional(),
        /** How long one config request waits for a change (long-poll); the gateway holds one at most 60 s. */
        poll_wait: duration
          .pipe(z.number().max(60_000, { error: "control.poll_wait must be at most 60s" }))
          .prefault("25s"),
        /** How often the agent reports to the seed (and checks its certificate's remaining lifetime). */
        heartbeat_interval: duration
          .pipe(z.number().min(1_000, { error: "control.heartbeat_interval must be at least 1s" }))
          .prefault("15s"),
        /** Renew the client certificate when less than this fraction of its lifetime is left. */
        renew_fraction: z
          .number()
          .gt(0)
          .lt(1)
          .default(1 / 3),
        /**
         * Run the scrape jobs the seed pushes. Off for the per-node agents of a DaemonSet, so that
         * cluster-wide jobs run once per cluster (in the cluster agent), not once per node.
         */
        scrape_configs: z.boolean().default(true),
      })
      .prefault({}),
    /** Where the agent keeps what it has not delivered yet (`<data_dir>/queue/metrics`). */
    data_dir: z.string().default("data/agent"),
    /** The agent's own HTTP port (its /metrics and health); 0 picks a free one. */
    http_listen_address: z.string().default("127.0.0.1"),
    http_port: port.default(9702),
    /** Defaults of every scrape job. */
    scrape_interval: duration.prefault("15s"),
    scrape_timeout: duration.prefault("10s"),
    /**
     * Each target's scrape phase (a hash within its interval) is rounded down to a multiple of this,
     * so that targets share the agent's wake-ups; 0s spreads them as Prometheus does
     * (docs/adr/0009-scrape-alignment.md).
     */
    scrape_alignment: duration.prefault("1s"),
    external_labels: z.record(z.string(), z.string()).default({}),
    host_collector: z
      .strictObject({
        enabled: z.boolean().default(true),
        proc_path: z.string().default("/proc"),
        sys_path: z.string().default("/sys"),
      })
      .prefault({}),
    /** Scrape the agent's own /metrics. */
    self_scrape: z.boolean().default(true),
    /** Run the default Kubernetes jobs (annotated pods and services, kubelet and cAdvisor through the API server). */
    kubernetes: z
      .strictObject({
        default_jobs: z.boolean().default(false),
        /** The API server's `host:port` for the kubelet jobs (default: the in-cluster `kubernetes.default.svc:443`). */
        api_server_host: z.string().optional(),
      })
      .prefault({}),
    /** Scrape jobs with Prometheus's `scrape_config` fields (static, file and Kubernetes discovery). */
    scrape_configs: scrapeConfigsSchema,
    /** Delivery to the seed: Prometheus's `remote_write` and `queue_config` settings, and the disk queue. */
    remote_write: z
      .strictObject({
        protobuf_message: z
          .enum(["prometheus.WriteRequest", "io.prometheus.write.v2.Request"])
          .default("prometheus.WriteRequest"),
        remote_timeout: duration.prefault("30s"),
        headers: z.record(z.string(), z.string()).default({}),
        queue_config: z
          .strictObject({
            capacity: z.number().int().positive().optional(),
            min_shards: z.number().int().positive().optional(),
            max_shards: z.number().int().positive().optional(),
            max_samples_per_send: z.number().int().positive().optional(),
            batch_send_deadline: duration.optional(),
            min_backoff: duration.optional(),
            max_backoff: duration.optional(),
          })
          .prefault({}),
        /** Bound of the disk queue; past it the oldest samples are dropped and counted. */
        max_queue_size: byteSize.prefault("1GiB"),
        /** How often appended samples are synced to disk (what a crash of the agent can lose). */
        sync_interval: duration.prefault("1s"),
      })
      .prefault({}),
    /**
     * Log collection (docs/agent-logs.md): tails the node's container logs and any files named in
     * `files`, runs them through Promtail-style `pipeline_stages`, and pushes them to the seed's
     * Loki push API through a disk-backed queue.
     */
    logs: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Loki push URL; default: `/loki/api/v1/push` on the origin of `remote_write_url`. */
        push_url: z.string().url().optional(),
        /** Extra headers of every push (e.g. `X-Scope-OrgID` when pushing to a seed's logs role directly, without the gateway). */
        headers: z.record(z.string(), z.string()).default({}),
        /** The container logs of the node's pods, `<pods_dir>/<namespace>_<pod>_<uid>/<container>/N.log`. */
        pods: z
          .strictObject({
            enabled: z.boolean().default(true),
            dir: z.string().default("/var/log/pods"),
            /** Stages for the container logs, after the CRI or Docker framing is decoded. */
            pipeline_stages: z.array(z.unknown()).default([]),
            /**
             * Pod metadata from the Kubernetes API, through the discovery of `kubernetes_sd_configs`
             * (its fields but `role`, always `pod`; by default in-cluster, this node's pods). Off
             * when absent.
             */
            kubernetes: kubernetesSdConfigSchema.omit({ role: true }).optional(),
            /**
             * Prometheus relabel rules over a container's `__meta_kubernetes_*` labels (needs
             * `kubernetes`): the labels they leave, but `__…` ones, are added to its lines; `drop`
             * drops its lines.
             */
            relabel_configs: relabelConfigsSchema,
          })
          .refine((p) => p.relabel_configs.length === 0 || p.kubernetes !== undefined, {
            error:
              "logs.pods.relabel_configs needs logs.pods.kubernetes: the rules relabel the pod metadata it brings",
            path: ["relabel_configs"],
          })
          .prefault({}),
        /** Other files (node logs such as `/var/log/syslog`): an absolute glob, labels, and their own stages. */
        files: z
          .array(
            z.strictObject({
              path: z
                .string()
                .startsWith("/", { error: "logs.files[].path must be an absolute path or glob" }),
              labels: z.record(z.string(), z.string()).default({}),
              format: z.enum(["auto", "cri", "docker", "raw"]).default("raw"),
              pipeline_stages: z.array(z.unknown()).default([]),
            }),
          )
          .default([]),
        /** Where reading starts in files found at the very first start (files found later start at their beginning). */
        start_at: z.enum(["beginning", "end"]).default("beginning"),
        /**
         * A push is sent once it holds this many bytes of entries (lines and ~15 bytes each;
         * Promtail's `batchsize`, whose default is 1MiB: the agent holds up to one per send lane).
         */
        batch_size: byteSize.prefault("512KiB"),
        /** …or once its oldest line waited this long (Promtail's `batchwait`). */
        batch_wait: duration.prefault("1s"),
        /** Bound of the logs' disk queue; past it the oldest lines are dropped and counted. */
        max_queue_size: byteSize.prefault("1GiB"),
        /** How often file positions are saved (each save waits until the lines read are on disk in the queue). */
        positions_sync_period: duration.prefault("1s"),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.remote_write_url.startsWith("https:") && cfg.tls === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["tls"],
        message:
          "remote_write_url is https: give tls (cert_file, key_file, ca_file) with the cluster's certificate",
      });
  });

/** Per-tenant ingest, storage and read limits (see src/metrics/limits/limits.ts for each one's meaning); 0 = unlimited. */
const limitsShape = {
  max_active_series: z.number().int().min(0),
  max_series_per_metric: z.number().int().min(0),
  max_label_names_per_series: z.number().int().min(0),
  max_label_name_length: z.number().int().min(0),
  max_label_value_length: z.number().int().min(0),
  ingestion_rate: z.number().min(0),
  ingestion_burst_size: z.number().int().min(0),
  out_of_order_window: duration,
  retention: duration,
  retention_size: z.number().int().min(0),
  max_exemplars: z.number().int().min(0),
  max_metadata_families: z.number().int().min(0),
  max_samples_per_query: z.number().int().min(0),
  query_timeout: duration,
  max_series_per_query: z.number().int().min(0),
};
const limitOverrides = z.strictObject(limitsShape).partial();

/** Per-tenant limits of Loki pushes (see src/logs/ingest/limits.ts for each one's meaning); 0 = unlimited. */
const logLimitsShape = {
  max_line_size: z.number().int().min(0),
  max_line_size_truncate: z.boolean(),
  max_label_names_per_series: z.number().int().min(0),
  max_label_name_length: z.number().int().min(0),
  max_label_value_length: z.number().int().min(0),
  reject_old_samples: z.boolean(),
  reject_old_samples_max_age: duration,
  creation_grace_period: duration,
  max_structured_metadata_size: z.number().int().min(0),
  max_structured_metadata_entries_count: z.number().int().min(0),
  ingestion_rate_mb: z.number().min(0),
  ingestion_burst_size_mb: z.number().min(0),
  max_global_streams_per_user: z.number().int().min(0),
  retention_period: duration,
  retention_size: z.number().int().min(0),
};
const logLimitOverrides = z.strictObject(logLimitsShape).partial();
const L = DEFAULT_LOG_INGEST_LIMITS;

/** The seed's configuration (`mirador server` and `mirador up`). */
export const serverConfigSchema = z.strictObject({
  data_dir: z.string().default("./data"),
  log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  server: z
    .strictObject({
      http_listen_address: z.string().default("127.0.0.1"),
      http_port: port.default(9700),
      /** How long SIGTERM waits for in-flight requests before cutting them. */
      shutdown_grace: duration.prefault("10s"),
      max_query_body_bytes: z.number().int().positive().default(MiB),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      listen_address: z.string().default("127.0.0.1"),
      port: port.default(9701),
      /** Names and addresses put in the gateway's serving certificate. */
      hosts: z.array(z.string()).default(["localhost", "127.0.0.1"]),
      /** Where to forward writes when the metrics role runs in another process (its /api/v1/push URL). */
      forward_url: z.string().url().optional(),
      /** Where to forward Loki pushes when the logs role runs in another process (its /loki/api/v1/push URL). */
      logs_forward_url: z.string().url().optional(),
      /** Lifetime of the gateway's serving certificate; it is renewed when a third is left. */
      serving_cert_lifetime: duration.prefault("90d"),
      /** Limits of every cluster unless the registry sets others for it (0 = unlimited). */
      default_limits: z
        .strictObject({
          samples_per_second: z.number().min(0).default(50_000),
          samples_burst: z.number().int().min(0).default(500_000),
          log_bytes_per_second: z
            .number()
            .min(0)
            .default(4 * MiB),
          log_bytes_burst: z
            .number()
            .int()
            .min(0)
            .default(16 * MiB),
          max_body_bytes: z
            .number()
            .int()
            .min(0)
            .default(16 * MiB),
        })
        .prefault({}),
      /** Longest `Retry-After` the gateway asks for while a cluster stays over its limits. */
      max_retry_after: duration.prefault("60s"),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Largest compressed remote-write body accepted. */
      max_write_body_bytes: z
        .number()
        .int()
        .positive()
        .default(16 * MiB),
      /** Largest remote-write body after snappy decompression (a snappy bomb is refused, not expanded). */
      max_write_decompressed_bytes: z
        .number()
        .int()
        .positive()
        .default(64 * MiB),
      /** The embedded TSDB (retention is a per-tenant limit: `limits.retention`, `limits.retention_size`). */
      tsdb: z
        .strictObject({
          /** Span of the blocks the head is cut into; larger blocks are compacted from these. */
          block_duration: duration.prefault("2h"),
          /** How often each tenant's head is checked for blocks to cut, blocks compacted and retention applied. */
          maintenance_interval: duration.prefault("1m"),
          /** Size at which a WAL segment is closed and the next begun. */
          wal_segment_bytes: z
            .number()
            .int()
            .min(64 * 1024)
            .default(128 * MiB),
        })
        .prefault({}),
      /** Limits of every tenant… */
      limits: z
        .strictObject({
          max_active_series: limitsShape.max_active_series.default(DEFAULT_LIMITS.max_active_series),
          max_series_per_metric: limitsShape.max_series_per_metric.default(
            DEFAULT_LIMITS.max_series_per_metric,
          ),
          max_label_names_per_series: limitsShape.max_label_names_per_series.default(
            DEFAULT_LIMITS.max_label_names_per_series,
          ),
          max_label_name_length: limitsShape.max_label_name_length.default(
            DEFAULT_LIMITS.max_label_name_length,
          ),
          max_label_value_length: limitsShape.max_label_value_length.default(
            DEFAULT_LIMITS.max_label_value_length,
          ),
          ingestion_rate: limitsShape.ingestion_rate.default(DEFAULT_LIMITS.ingestion_rate),
          ingestion_burst_size: limitsShape.ingestion_burst_size.default(DEFAULT_LIMITS.ingestion_burst_size),
          out_of_order_window: duration.prefault("10m"),
          retention: duration.prefault("15d"),
          retention_size: limitsShape.retention_size.default(DEFAULT_LIMITS.retention_size),
          max_exemplars: limitsShape.max_exemplars.default(DEFAULT_LIMITS.max_exemplars),
          max_metadata_families: limitsShape.max_metadata_families.default(
            DEFAULT_LIMITS.max_metadata_families,
          ),
          max_samples_per_query: limitsShape.max_samples_per_query.default(
            DEFAULT_LIMITS.max_samples_per_query,
          ),
          query_timeout: duration.prefault("2m"),
          max_series_per_query: limitsShape.max_series_per_query.default(DEFAULT_LIMITS.max_series_per_query),
        })
        .prefault({}),
      /** …and overrides per tenant, e.g. `tenant_limits: {demo-1: {max_active_series: 10000}}`. */
      tenant_limits: z.record(z.string(), limitOverrides).default({}),
    })
    .prefault({}),
  logs: z
    .strictObject({
      /** Largest compressed Loki push body accepted. */
      max_push_body_bytes: z
        .number()
        .int()
        .positive()
        .default(16 * MiB),
      /** Largest Loki push body once gzip/deflate and snappy are undone (a bomb is refused, not expanded). */
      max_push_decompressed_bytes: z
        .number()
        .int()
        .positive()
        .default(64 * MiB),
      /** How far behind a stream's newest entry a late entry is still accepted (Loki's unordered writes). */
      out_of_order_window: duration.prefault("1h"),
      /** Most entries one log query may ask for with `limit` (Loki's `max_entries_limit_per_query`). */
      max_entries_limit_per_query: z.number().int().positive().default(5000),
      /**
       * A tenant's head is flushed into an immutable block on disk (and its WAL truncated) once its
       * oldest unflushed entry arrived this long ago… (docs/format/log-block.md)
       */
      flush_period: duration.prefault("1h"),
      /** …or once it holds this many bytes of lines, whichever comes first. */
      head_max_bytes: z
        .number()
        .int()
        .positive()
        .default(256 * MiB),
      /** How often heads are checked for a flush and retention is applied. */
      maintenance_interval: duration.prefault("30s"),
      /** Limits of every tenant, with Loki's defaults… */
      limits: z
        .strictObject({
          max_line_size: logLimitsShape.max_line_size.default(L.max_line_size),
          max_line_size_truncate: logLimitsShape.max_line_size_truncate.default(L.max_line_size_truncate),
          max_label_names_per_series: logLimitsShape.max_label_names_per_series.default(
            L.max_label_names_per_series,
          ),
          max_label_name_length: logLimitsShape.max_label_name_length.default(L.max_label_name_length),
          max_label_value_length: logLimitsShape.max_label_value_length.default(L.max_label_value_length),
          reject_old_samples: logLimitsShape.reject_old_samples.default(L.reject_old_samples),
          reject_old_samples_max_age: duration.prefault("168h"),
          creation_grace_period: duration.prefault("10m"),
          max_structured_metadata_size: logLimitsShape.max_structured_metadata_size.default(
            L.max_structured_metadata_size,
          ),
          max_structured_metadata_entries_count: logLimitsShape.max_structured_metadata_entries_count.default(
            L.max_structured_metadata_entries_count,
          ),
          /** Line bytes per second a tenant may push (MB = 2^20 bytes, as Loki counts); 0 = unlimited. */
          ingestion_rate_mb: logLimitsShape.ingestion_rate_mb.default(4),
          /** Line bytes one burst may carry, MB; a push larger than the burst passes when the bucket is full. */
          ingestion_burst_size_mb: logLimitsShape.ingestion_burst_size_mb.default(6),
          /** Active streams (streams in the head) a tenant may have; 0 = unlimited. */
          max_global_streams_per_user: logLimitsShape.max_global_streams_per_user.default(5000),
          /** Blocks whose newest entry is older than this are deleted; 0 keeps them for ever. */
          retention_period: duration.prefault("744h"),
          /** While a tenant's blocks take more bytes than this, the oldest is deleted; 0 = no bound. */
          retention_size: logLimitsShape.retention_size.default(0),
        })
        .prefault({}),
      /** …and overrides per tenant, e.g. `tenant_limits: {demo-1: {max_line_size: 1048576}}`. */
      tenant_limits: z.record(z.string(), logLimitOverrides).default({}),
    })
    .prefault({}),
  registry: z
    .strictObject({
      /** Lifetime of issued agent certificates; agents renew theirs when a third is left. */
      client_cert_lifetime: duration.prefault("90d"),
      /**
       * A CA the admin supplies (PEM certificate and ECDSA P-256 key, key file mode 0600), used
       * instead of the one the seed creates under `<data_dir>/registry/ca/`. Give both or neither.
       */
      ca_cert_file: z.string().optional(),
      ca_key_file: z.string().optional(),
      /** How long a removed cluster's data, rules and alert config are kept before deletion. */
      removal_grace: duration.prefault("24h"),
      /** How often scheduled revocations and deletions are carried out. */
      janitor_interval: duration.prefault("10s"),
      /** This seed's name in a fleet of seeds; new clusters are registered to it. */
      seed_name: z.string().min(1).default("local"),
    })
    .refine((r) => (r.ca_cert_file === undefined) === (r.ca_key_file === undefined), {
      message: "give both ca_cert_file and ca_key_file, or neither",
    })
    .prefault({}),
  demo: z
    .strictObject({
      clusters: z.number().int().min(0).max(50).default(2),
      scrape_interval: duration.prefault("15s"),
    })
    .prefault({}),
});

/** A validated server configuration (durations in ms). */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** A validated agent configuration (durations in ms). */
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** A configuration that failed to load or validate; the message names the file, the key and what was expected. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where a setting came from, for error messages. */
type Source = { kind: "file"; path: string } | { kind: "env" } | { kind: "flags" };

/**
 * Loads a configuration: schema defaults, overlaid by the YAML file (if any), then the environment
 * (`MIRADOR_*` variables listed in {@link envOverrides}), then command-line flags — a flag beats the file.
 * Throws {@link ConfigError} naming the file, the key and what was expected.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  opts: { file?: string; env?: Record<string, unknown>; flags?: Record<string, unknown> },
): z.output<S> {
  let raw: Record<string, unknown> = {};
  const sources: Source[] = [];
  if (opts.file !== undefined) {
    raw = readYAMLFile(opts.file);
    sources.push({ kind: "file", path: opts.file });
  }
  if (opts.env && Object.keys(opts.env).length > 0) {
    raw = deepMerge(raw, opts.env);
    sources.push({ kind: "env" });
  }
  if (opts.flags && Object.keys(opts.flags).length > 0) {
    raw = deepMerge(raw, opts.flags);
    sources.push({ kind: "flags" });
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const where = opts.file !== undefined ? `config file ${opts.file}` : "configuration";
  const lines = result.error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(top level)"}: ${describeIssue(issue)}`,
  );
  throw new ConfigError(`invalid ${where}:\n${lines.join("\n")}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys")
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  return issue.message;
}

function readYAMLFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYAML(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(`config file ${path}: expected a mapping at the top level`);
  return doc as Record<string, unknown>;
}

/** Merges `b` into `a` recursively; b's scalars and arrays win. Neither input is changed. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The server settings the environment may set: `MIRADOR_DATA_DIR`, `MIRADOR_HTTP_PORT`,
 * `MIRADOR_GATEWAY_PORT`, `MIRADOR_LOG_LEVEL`. Numbers stay strings when they are not numbers, so
 * validation reports them.
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: readonly string[], value: unknown) => setPath(out, path, value);
  if (env.MIRADOR_DATA_DIR) set(["data_dir"], env.MIRADOR_DATA_DIR);
  if (env.MIRADOR_LOG_LEVEL) set(["log_level"], env.MIRADOR_LOG_LEVEL);
  if (env.MIRADOR_HTTP_PORT) set(["server", "http_port"], numberOrString(env.MIRADOR_HTTP_PORT));
  if (env.MIRADOR_GATEWAY_PORT) set(["gateway", "port"], numberOrString(env.MIRADOR_GATEWAY_PORT));
  return out;
}

/** A flag or variable's text as a number when it is one, else the text (so validation can name it). */
export function numberOrString(text: string): number | string {
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

/** Sets `value` at a nested `path` of `obj`, creating the objects on the way. */
export function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = obj;
  for (const key of path.slice(0, -1)) {
    const next = isPlainObject(node[key]) ? node[key] : {};
    node[key] = next;
    node = next;
  }
  node[path[path.length - 1]!] = value;
}
