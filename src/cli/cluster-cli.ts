import { readFileSync } from "node:fs";
import { parse as parseYAML, stringify } from "yaml";
import type { AgentConfigJSON, CertificateJSON, ClusterJSON, StatusJSON } from "../registry/api/index.js";
import { addCluster, rotateCert } from "./cluster-bundle-cli.js";
import {
  CommandError,
  flag,
  OUTPUT_OPTION,
  outputFormat,
  parseCommand,
  parseLabels,
  printJSON,
  str,
  UsageError,
} from "./command-args.js";
import { ago, bytes, formatFields, formatTable } from "./table.js";

/** Usage of `mirador cluster …`. */
export const CLUSTER_USAGE = `Usage: mirador cluster COMMAND [--server URL]
  add NAME --project P [--label k=v]… [--output DIR] [--gateway URL] [--image IMAGE]
           [--namespace NS] [--create-project]
      register a cluster and write its install bundle to DIR (default ./NAME)
  list [--project P] [-o json]             clusters with their agents' status
  show NAME [-o json]                      one cluster: record, status, certificates
  update NAME [--label k=v]… [--label k-]… [--samples-per-second N] [--samples-burst N]
              [--log-bytes-per-second N] [--log-bytes-burst N] [--max-body-bytes N]
      change labels (k- removes one) and limits (0 = unlimited, "default" = the seed's)
  disable NAME [--metrics] [--logs]        stop a flow (both when neither is given)
  enable NAME [--metrics] [--logs]         start it again
  rotate-cert NAME [--revoke-after 1h] [--output DIR] [--gateway URL] [--image I] [--namespace NS]
      make the agents renew their certificates, revoke the old ones after the grace;
      with --output, also write a new install bundle
  revoke NAME [--serial S] [--reason R]    revoke one certificate now, or all of the cluster's
  remove NAME                              revoke its certificates; its data is deleted after the grace
  config get NAME [-o json]                the agent configuration the seed pushes (YAML)
  config set NAME --file FILE              replace it: scrape_configs (and scrape_interval,
                                           scrape_timeout, external_labels), YAML or JSON
`;

/** The limits `update` sets, by flag: [field, whole number?]. */
const LIMIT_FLAGS: Readonly<Record<string, readonly [string, boolean]>> = {
  "samples-per-second": ["samples_per_second", false],
  "samples-burst": ["samples_burst", true],
  "log-bytes-per-second": ["log_bytes_per_second", false],
  "log-bytes-burst": ["log_bytes_burst", true],
  "max-body-bytes": ["max_body_bytes", true],
};

const path = (name: string, rest = "") => `/clusters/${encodeURIComponent(name)}${rest}`;

/** Runs `mirador cluster SUB …`; throws UsageError, ApiError or CommandError. */
export async function clusterCommand(sub: string, args: readonly string[]): Promise<void> {
  switch (sub) {
    case "add":
      return addCluster(args);
    case "list":
      return list(args);
    case "show":
      return show(args);
    case "update":
      return update(args);
    case "disable":
    case "enable":
      return flows(args, sub === "enable");
    case "rotate-cert":
      return rotateCert(args);
    case "revoke":
      return revoke(args);
    case "remove":
      return remove(args);
    case "config":
      return config(args);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(sub)}`);
  }
}

function flowsText(c: ClusterJSON): string {
  const on = [c.metrics_enabled && "metrics", c.logs_enabled && "logs"].filter(Boolean);
  return on.length === 0 ? "none" : on.join(",");
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return text === "" ? "-" : text;
}

function configText(s: StatusJSON | undefined, c: ClusterJSON): string {
  return `${s?.applied_config_version ?? "-"}/${c.desired_config_version}`;
}

async function list(args: readonly string[]): Promise<void> {
  const { values, client } = parseCommand(args, { ...OUTPUT_OPTION, project: { type: "string" } }, []);
  const format = outputFormat(values);
  const project = str(values, "project");
  const query = project === undefined ? "" : `?project=${encodeURIComponent(project)}`;
  const [{ clusters }, { clusters: statuses }] = await Promise.all([
    client.call<{ clusters: ClusterJSON[] }>("GET", `/clusters${query}`),
    client.call<{ clusters: StatusJSON[] }>("GET", "/status"),
  ]);
  const status = new Map(statuses.map((s) => [s.cluster, s]));
  if (format === "json")
    return printJSON({ clusters: clusters.map((c) => ({ ...c, status: status.get(c.name) ?? null })) });
  const now = Date.now();
  process.stdout.write(
    formatTable([
      ["NAME", "PROJECT", "STATE", "FLOWS", "CONFIG", "LAST SEEN", "SAMPLES/S", "LABELS"],
      ...clusters.map((c) => {
        const s = status.get(c.name);
        return [
          c.name,
          c.project,
          c.state,
          flowsText(c),
          configText(s, c),
          ago(c.last_seen_at, now),
          s?.traffic ? String(Math.round(s.traffic.samples_per_second)) : "-",
          labelsText(c.labels),
        ];
      }),
    ]),
  );
}

async function show(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(args, OUTPUT_OPTION, ["NAME"]);
  const format = outputFormat(values);
  const name = positionals[0]!;
  const cluster = await client.call<ClusterJSON>("GET", path(name));
  const [status, { certificates }] = await Promise.all([
    client.call<StatusJSON>("GET", path(name, "/status")),
    client.call<{ certificates: CertificateJSON[] }>("GET", path(name, "/certificates")),
  ]);
  if (format === "json") return printJSON({ cluster, status, certificates });
  const now = Date.now();
  const limits = Object.entries(cluster.limits).map(([k, v]) => `${k}=${v}`);
  const fields: [string, string][] = [
    ["name", cluster.name],
    ["project", cluster.project],
    ["state", cluster.state],
    ["labels", labelsText(cluster.labels)],
    ["metrics", cluster.metrics_enabled ? "enabled" : "disabled"],
    ["logs", cluster.logs_enabled ? "enabled" : "disabled"],
    [
      "limits",
      limits.length === 0 ? "the seed's defaults" : `${limits.join(" ")} (others: the seed's defaults)`,
    ],
    ["created", cluster.created_at],
    [
      "last seen",
      cluster.last_seen_at === null ? "never" : `${cluster.last_seen_at} (${ago(cluster.last_seen_at, now)})`,
    ],
    [
      "config version",
      `desired ${status.desired_config_version}, applied ${status.applied_config_version ?? "none reported"}${
        status.applied_config_version === null ? "" : status.in_sync ? " (in sync)" : " (behind)"
      }`,
    ],
  ];
  if (status.agent) {
    const a = status.agent;
    fields.push([
      "agent",
      `${a.agent_version}, heartbeat ${ago(a.received_at, now)}, buffered ${a.buffered_samples} samples (${bytes(a.buffered_bytes)})`,
    ]);
    if (a.errors.length > 0) fields.push(["agent errors", a.errors.join("; ")]);
  }
  if (status.traffic) {
    const t = status.traffic;
    const rejected = Object.entries(t.rejected).map(([k, v]) => `${k}=${v}`);
    fields.push([
      "traffic",
      `${t.samples_per_second.toFixed(1)} samples/s, ${bytes(Math.round(t.bytes_per_second))}/s${
        rejected.length > 0 ? `, rejected: ${rejected.join(" ")}` : ""
      }`,
    ]);
  }
  if (cluster.delete_after !== null) fields.push(["data deleted after", cluster.delete_after]);
  process.stdout.write(formatFields(fields));
  process.stdout.write("\ncertificates:\n");
  process.stdout.write(
    formatTable([
      ["SERIAL", "KIND", "ISSUED", "NOT AFTER", "STATE"],
      ...certificates.map((c) => [c.serial, c.kind, c.issued_at, c.not_after, certificateState(c, now)]),
    ]),
  );
}

function certificateState(c: CertificateJSON, now: number): string {
  if (c.revoked_at !== null)
    return `revoked ${c.revoked_at}${c.revocation_reason ? ` (${c.revocation_reason})` : ""}`;
  if (Date.parse(c.not_after) < now) return "expired";
  if (c.revoke_at !== null) return `revoked at ${c.revoke_at}`;
  return "valid";
}

async function update(args: readonly string[]): Promise<void> {
  const limitOptions = Object.fromEntries(
    Object.keys(LIMIT_FLAGS).map((f) => [f, { type: "string" as const }]),
  );
  const { values, positionals, client } = parseCommand(
    args,
    { label: { type: "string", multiple: true }, ...limitOptions },
    ["NAME"],
  );
  const name = positionals[0]!;
  const labels = parseLabels(values, true);
  const limits: Record<string, number | null> = {};
  for (const [option, [field, whole]] of Object.entries(LIMIT_FLAGS)) {
    const text = str(values, option);
    if (text === undefined) continue;
    if (text === "default") {
      limits[field] = null;
      continue;
    }
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n < 0 || (whole && !Number.isInteger(n)))
      throw new UsageError(
        `--${option}: expected a ${whole ? "whole " : ""}number ≥ 0 (0 = unlimited) or "default", got ${JSON.stringify(text)}`,
      );
    limits[field] = n;
  }
  if (labels.size === 0 && Object.keys(limits).length === 0)
    throw new UsageError("nothing to change: give --label or a limit");
  const patch: Record<string, unknown> = {};
  if (labels.size > 0) {
    const current = await client.call<ClusterJSON>("GET", path(name));
    const next: Record<string, string> = { ...current.labels };
    for (const [k, v] of labels) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    patch.labels = next;
  }
  if (Object.keys(limits).length > 0) patch.limits = limits;
  const c = await client.call<ClusterJSON>("PATCH", path(name), patch);
  const set = Object.entries(c.limits).map(([k, v]) => `${k}=${v}`);
  process.stdout.write(
    `cluster ${name} updated; labels: ${labelsText(c.labels)}; limits: ${set.length === 0 ? "the seed's defaults" : set.join(" ")}\n`,
  );
}

async function flows(args: readonly string[], enable: boolean): Promise<void> {
  const { values, positionals, client } = parseCommand(
    args,
    { metrics: { type: "boolean" }, logs: { type: "boolean" } },
    ["NAME"],
  );
  const name = positionals[0]!;
  const neither = !flag(values, "metrics") && !flag(values, "logs");
  const which = (["metrics", "logs"] as const).filter((f) => neither || flag(values, f));
  const c = await client.call<ClusterJSON>(
    "PUT",
    path(name, "/flows"),
    Object.fromEntries(which.map((f) => [f, enable])),
  );
  const what = which.join(" and ");
  process.stdout.write(
    enable
      ? `${what} of cluster ${name} enabled (config version ${c.desired_config_version}); its agents resume on their next configuration poll\n`
      : `${what} of cluster ${name} disabled (config version ${c.desired_config_version}): the gateway refuses them and the agents stop collecting and buffering them\n`,
  );
}

async function revoke(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(
    args,
    { serial: { type: "string" }, reason: { type: "string" } },
    ["NAME"],
  );
  const name = positionals[0]!;
  const serial = str(values, "serial");
  const reason = str(values, "reason");
  const { certificates } = await client.call<{ certificates: CertificateJSON[] }>(
    "POST",
    path(name, "/certificates/revoke"),
    { ...(serial !== undefined && { serial }), ...(reason !== undefined && { reason }) },
  );
  if (certificates.length === 0) {
    process.stdout.write(`cluster ${name}: no certificate left to revoke\n`);
    return;
  }
  process.stdout.write(
    `revoked ${certificates.length} certificate${certificates.length > 1 ? "s" : ""} of cluster ${name}: ${certificates.map((c) => c.serial).join(", ")}\n`,
  );
  if (serial === undefined)
    process.stdout.write(
      `its agents can no longer connect; give them a new bundle with: mirador cluster rotate-cert ${name} --output DIR\n`,
    );
}

async function remove(args: readonly string[]): Promise<void> {
  const { positionals, client } = parseCommand(args, {}, ["NAME"]);
  const name = positionals[0]!;
  const c = await client.call<ClusterJSON>("DELETE", path(name));
  process.stdout.write(
    `cluster ${name} is being removed: its certificates are revoked; its data, rules and alert configuration are deleted after ${c.delete_after ?? "the seed's registry.removal_grace"}\n`,
  );
}

async function config(args: readonly string[]): Promise<void> {
  const [verb, ...rest] = args;
  if (verb === "get") {
    const { values, positionals, client } = parseCommand(rest, OUTPUT_OPTION, ["NAME"]);
    const format = outputFormat(values);
    const name = positionals[0]!;
    const cfg = await client.call<AgentConfigJSON>("GET", path(name, "/agent-config"));
    if (format === "json") return printJSON(cfg);
    process.stdout.write(
      `# Agent configuration of cluster ${name}, version ${cfg.version} (flows: metrics ${on(cfg.flows.metrics)}, logs ${on(cfg.flows.logs)}).\n# Change it with: mirador cluster config set ${name} --file FILE\n${stringify(cfg.config)}`,
    );
    return;
  }
  if (verb === "set") {
    const { values, positionals, client } = parseCommand(rest, { file: { type: "string" } }, ["NAME"]);
    const name = positionals[0]!;
    const file = str(values, "file");
    if (file === undefined) throw new UsageError("--file: give the YAML or JSON file with scrape_configs");
    const body = readAgentConfigFile(file);
    const cfg = await client.call<AgentConfigJSON>("PUT", path(name, "/agent-config"), body);
    process.stdout.write(
      `cluster ${name}: agent configuration version ${cfg.version} (${Array.isArray(cfg.config.scrape_configs) ? cfg.config.scrape_configs.length : 0} scrape jobs); agents apply it on their next configuration poll\n`,
    );
    return;
  }
  throw new UsageError(
    verb === undefined ? "missing get or set" : `unknown command config ${JSON.stringify(verb)}`,
  );
}

function on(b: boolean): string {
  return b ? "on" : "off";
}

/** A `config set` file: a mapping (scrape_configs and overrides) or just a list of scrape configs. */
export function readAgentConfigFile(file: string): unknown {
  let doc: unknown;
  try {
    doc = parseYAML(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (Array.isArray(doc)) return { scrape_configs: doc };
  if (doc === null || typeof doc !== "object")
    throw new CommandError(`${file}: expected a mapping with scrape_configs, or a list of scrape configs`);
  return doc;
}
