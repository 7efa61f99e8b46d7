/**
 * The agent's side of the control protocol (docs/api/agent-protocol.md): what `GET /agent/v1/config`
 * and `POST /agent/v1/certificate` answer, and what `POST /agent/v1/heartbeat` sends. Fields the
 * agent does not know are ignored, so that a newer seed can add some.
 */
import { z } from "zod";
import { parseDurationMs } from "../../lib/duration/duration.js";
import { type ScrapeConfig, scrapeConfigsSchema } from "../config/scrape-config.js";

/** The data flows the seed can switch off. */
export interface Flows {
  readonly metrics: boolean;
  readonly logs: boolean;
}

/** One version of the cluster's agent configuration, as the gateway serves it. */
export interface RemoteConfig {
  readonly version: number;
  readonly cluster: string;
  readonly flows: Flows;
  readonly certificateGeneration: number;
  /** The `config` object, not yet read: a bad one refuses the version's configuration only. */
  readonly config: unknown;
}

/** The `config` part of a version, read (durations in ms). */
export interface RemoteScrapeSettings {
  readonly scrapeInterval?: number;
  readonly scrapeTimeout?: number;
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly scrapeConfigs: readonly ScrapeConfig[];
}

/** What `POST /agent/v1/heartbeat` sends. */
export interface HeartbeatReport {
  readonly applied_config_version: number;
  readonly agent_version: string;
  readonly buffered_samples: number;
  readonly buffered_bytes: number;
  readonly errors: readonly string[];
  readonly certificate_serial?: string;
}

/** What `POST /agent/v1/certificate` answers. */
export interface CertificateAnswer {
  /** The new certificate, PEM. */
  readonly certificate: string;
  /** The generation the seed records for it, when it says. */
  readonly generation: number | undefined;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration such as "15s", got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const envelopeSchema = z.object({
  version: z.number().int().min(0),
  cluster: z.string().min(1),
  flows: z.object({ metrics: z.boolean().default(true), logs: z.boolean().default(true) }).prefault({}),
  certificate_generation: z.number().int().min(0).default(0),
  config: z.unknown(),
});

const settingsSchema = z.object({
  scrape_interval: duration.optional(),
  scrape_timeout: duration.optional(),
  external_labels: z.record(z.string(), z.string()).optional(),
  scrape_configs: scrapeConfigsSchema,
});

const certificateAnswerSchema = z.object({
  certificate: z.string().includes("-----BEGIN CERTIFICATE-----"),
  certificate_generation: z.number().int().min(0).optional(),
});

/** Reads a config answer's body (parsed JSON); throws an Error naming the first problem. */
export function parseRemoteConfig(body: unknown): RemoteConfig {
  const r = envelopeSchema.safeParse(body);
  if (!r.success) throw new Error(`not an agent configuration: ${describe(r.error)}`);
  const { version, cluster, flows, certificate_generation, config } = r.data;
  return { version, cluster, flows, certificateGeneration: certificate_generation, config: config ?? {} };
}

/** Reads a version's `config`; throws an Error naming the first problem (the version is refused). */
export function parseScrapeSettings(config: unknown): RemoteScrapeSettings {
  const r = settingsSchema.safeParse(config);
  if (!r.success) throw new Error(`config: ${describe(r.error)}`);
  const d = r.data;
  return {
    ...(d.scrape_interval !== undefined && { scrapeInterval: d.scrape_interval }),
    ...(d.scrape_timeout !== undefined && { scrapeTimeout: d.scrape_timeout }),
    ...(d.external_labels !== undefined && { externalLabels: d.external_labels }),
    scrapeConfigs: d.scrape_configs,
  };
}

/** Reads a certificate answer's body (parsed JSON). */
export function parseCertificateAnswer(body: unknown): CertificateAnswer {
  const r = certificateAnswerSchema.safeParse(body);
  if (!r.success) throw new Error(`not a certificate answer: ${describe(r.error)}`);
  return { certificate: r.data.certificate, generation: r.data.certificate_generation };
}

function describe(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return "invalid";
  const path = issue.path.join(".");
  return path === "" ? issue.message : `${path}: ${issue.message}`;
}
