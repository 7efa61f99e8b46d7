/**
 * The bodies and query parameters the registry API accepts, as zod schemas. Unknown fields are
 * refused so that a typo (`metric_enabled`) fails instead of being ignored. `docs/api/openapi.yaml`
 * describes the same shapes.
 */
import { z } from "zod";
import { parseDurationMs } from "../../lib/duration/duration.js";
import { durationSchema } from "../../server/config.js";

const labels = z.record(z.string().min(1, "label names must not be empty"), z.string());

const rate = z.number().finite().min(0);
const count = z.number().int().min(0);

/** Per-cluster limits; every field optional, 0 = unlimited. */
export const limitsSchema = z.strictObject({
  samples_per_second: rate.optional(),
  samples_burst: count.optional(),
  log_bytes_per_second: rate.optional(),
  log_bytes_burst: count.optional(),
  max_body_bytes: count.optional(),
});

/** A body that must be empty or `{}` (actions without parameters). */
export const emptyBodySchema = z.strictObject({});

/** `POST /projects`. */
export const createProjectSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
});

/** `POST /clusters`. */
export const createClusterSchema = z.strictObject({
  name: z.string().min(1),
  project: z.string().min(1),
  labels: labels.optional(),
  limits: limitsSchema.optional(),
  metrics_enabled: z.boolean().optional(),
  logs_enabled: z.boolean().optional(),
});

/** Limits to change: a number sets one, `null` returns it to the seed's default. */
export const limitsPatchSchema = z.strictObject({
  samples_per_second: rate.nullable().optional(),
  samples_burst: count.nullable().optional(),
  log_bytes_per_second: rate.nullable().optional(),
  log_bytes_burst: count.nullable().optional(),
  max_body_bytes: count.nullable().optional(),
});

/** `PATCH /clusters/{name}`: labels (the whole set), limits (those named) and flows. */
export const patchClusterSchema = z.strictObject({
  labels: labels.optional(),
  limits: limitsPatchSchema.optional(),
  metrics_enabled: z.boolean().optional(),
  logs_enabled: z.boolean().optional(),
});

/** `PUT /clusters/{name}/flows`. */
export const flowsSchema = z.strictObject({
  metrics: z.boolean().optional(),
  logs: z.boolean().optional(),
});

/** A Prometheus duration (`90s`, `1h`) as milliseconds. */
const duration = durationSchema;

/** `POST /clusters/{name}/certificates/rotate`. */
export const rotateSchema = z.strictObject({
  revoke_after: duration.optional(),
});

/** `POST /clusters/{name}/certificates/revoke`. */
export const revokeSchema = z.strictObject({
  serial: z
    .string()
    .regex(/^[0-9a-fA-F]+$/, "expected the certificate's serial in hex")
    .transform((s) => s.toLowerCase())
    .optional(),
  reason: z.enum(["unspecified", "keyCompromise", "superseded", "cessationOfOperation"]).optional(),
});

/** A duration kept as its text (the agent parses it), checked here so that a typo fails early. */
const durationText = z.string().refine((t) => parseDurationMs(t) !== undefined, {
  message: 'expected a duration such as "15s" or "1m"',
});

/** `PUT /clusters/{name}/agent-config`: Prometheus `scrape_config` entries are checked by the service. */
export const agentConfigSchema = z.strictObject({
  scrape_interval: durationText.optional(),
  scrape_timeout: durationText.optional(),
  external_labels: labels.optional(),
  scrape_configs: z.array(z.record(z.string(), z.unknown())),
});

/** Describes the problems of a failed parse, one per field: `limits.samples_burst: expected int…`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      const message =
        issue.code === "unrecognized_keys"
          ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
          : issue.message;
      return path === "" ? message : `${path}: ${message}`;
    })
    .join("; ");
}
