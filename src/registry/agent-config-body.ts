import { scrapeConfigSchema } from "../agent/config/scrape-config.js";
import { formatDurationMs, parseDurationMs } from "../lib/duration/duration.js";
import { checkLabels } from "./cluster-fields.js";
import { type AgentRemoteConfigBody, RegistryError } from "./model.js";

const FIELDS = ["scrape_interval", "scrape_timeout", "external_labels", "scrape_configs"] as const;

/**
 * Checks an agent configuration body before the registry stores it, so that an agent is never sent
 * one it will refuse: known fields only; `scrape_interval`/`scrape_timeout` Prometheus durations
 * above zero, the timeout not above the interval; `external_labels` label names to strings, not
 * `cluster` (the agent always sets it); each of `scrape_configs` a scrape config the agent's own
 * schema accepts, with a unique `job_name` and a `scrape_timeout` not above its interval when both
 * are known here. Throws `RegistryError` `invalid` naming the job and field. Returns a copy of the
 * body as given (durations stay text).
 */
export function checkAgentConfigBody(body: unknown): AgentRemoteConfigBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("the agent config must be a mapping with scrape_configs and optional globals");
  }
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw invalid(
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")} in the agent config (expected ${FIELDS.join(", ")})`,
    );
  }
  const interval = duration(raw.scrape_interval, "scrape_interval");
  const timeout = duration(raw.scrape_timeout, "scrape_timeout");
  if (interval !== undefined && timeout !== undefined && timeout > interval) {
    throw invalid(
      `scrape_timeout (${formatDurationMs(timeout)}) must not be greater than scrape_interval (${formatDurationMs(interval)})`,
    );
  }
  if (raw.external_labels !== undefined) {
    const labels = checkLabels(raw.external_labels, "external_labels");
    if ("cluster" in labels) {
      throw invalid("external_labels must not set cluster: the agent always sets it to the cluster's name");
    }
  }
  if (!Array.isArray(raw.scrape_configs)) {
    throw invalid("scrape_configs must be a list of scrape configs (empty for none)");
  }
  const firstUse = new Map<string, number>();
  raw.scrape_configs.forEach((job: unknown, i) => {
    const name =
      typeof job === "object" && job !== null && typeof (job as { job_name?: unknown }).job_name === "string"
        ? (job as { job_name: string }).job_name
        : undefined;
    const where = `scrape_configs[${i}]${name === undefined ? "" : ` (job ${JSON.stringify(name)})`}`;
    const parsed = scrapeConfigSchema.safeParse(job);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => {
        const at = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
        return `${at}${issue.message}`;
      });
      throw invalid(`${where}: ${issues.join("; ")}`);
    }
    const cfg = parsed.data;
    const seen = firstUse.get(cfg.job_name);
    if (seen !== undefined) {
      throw invalid(
        `${where}: job_name ${JSON.stringify(cfg.job_name)} is used by scrape_configs[${seen}] too; job names must be unique`,
      );
    }
    firstUse.set(cfg.job_name, i);
    const jobInterval = cfg.scrape_interval ?? interval;
    if (cfg.scrape_timeout !== undefined && jobInterval !== undefined && cfg.scrape_timeout > jobInterval) {
      throw invalid(
        `${where}: scrape_timeout (${formatDurationMs(cfg.scrape_timeout)}) must not be greater than scrape_interval (${formatDurationMs(jobInterval)}${cfg.scrape_interval === undefined ? ", the config's global one" : ""})`,
      );
    }
  });
  return JSON.parse(JSON.stringify(raw)) as AgentRemoteConfigBody;
}

/** A duration field of the body in ms, undefined when absent; throws when it is not one above zero. */
function duration(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === "string" ? parseDurationMs(value) : undefined;
  if (ms === undefined || ms <= 0) {
    throw invalid(
      `${field} must be a duration above zero such as "15s" or "1m30s" (units ms, s, m, h, d, w, y), got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function invalid(message: string): RegistryError {
  return new RegistryError("invalid", message);
}
