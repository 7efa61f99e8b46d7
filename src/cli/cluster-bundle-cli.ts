import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseDurationMs } from "../lib/duration/duration.js";
import type { BundleJSON, CertificateJSON, ClusterJSON } from "../registry/api/index.js";
import {
  installBundle,
  installCommands,
  normaliseGatewayUrl,
  writeBundle,
} from "../registry/bundle/index.js";
import {
  CommandError,
  flag,
  parseCommand,
  parseLabels,
  str,
  UsageError,
  type Values,
} from "./command-args.js";
import { ApiError, type RegistryClient } from "./registry-client.js";

/** The gateway's port when the URL must be guessed from the seed's. */
const DEFAULT_GATEWAY_PORT = 9701;

/** Options of the commands that write an install bundle. */
const BUNDLE_OPTIONS = {
  output: { type: "string" },
  gateway: { type: "string" },
  image: { type: "string" },
  namespace: { type: "string" },
} as const;

const clusterPath = (name: string, rest = "") => `/clusters/${encodeURIComponent(name)}${rest}`;

/**
 * `mirador cluster add NAME --project P …`: registers the cluster and writes its install bundle
 * (certificate, key, CA, agent.yaml, kubernetes.yaml) to `--output` (default `./NAME`).
 */
export async function addCluster(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(
    args,
    {
      project: { type: "string" },
      label: { type: "string", multiple: true },
      "create-project": { type: "boolean" },
      ...BUNDLE_OPTIONS,
    },
    ["NAME"],
  );
  const name = positionals[0]!;
  const project = str(values, "project");
  if (project === undefined)
    throw new UsageError("--project: every cluster belongs to a project (see `mirador project list`)");
  const labels = Object.fromEntries(parseLabels(values)) as Record<string, string>;
  const gateway = gatewayOption(values);
  const dir = bundleDir(values, name);

  await ensureProject(client, project, flag(values, "create-project"));
  const created = await client.call<{ cluster: ClusterJSON; bundle: BundleJSON }>("POST", "/clusters", {
    name,
    project,
    ...(Object.keys(labels).length > 0 && { labels }),
  });
  const gatewayUrl = write(dir, created.cluster, created.bundle, values, gateway, client);
  const cmd = installCommands(dir);
  process.stdout.write(
    `cluster ${name} registered in project ${project}; its install bundle is in ${dir}
(the seed keeps no copy of its key: keep the bundle private)

Run the agent on a host:
  ${cmd.host}
or in the Kubernetes cluster:
  ${cmd.kubernetes}
`,
  );
  warnIfLocal(gatewayUrl);
}

/**
 * `mirador cluster rotate-cert NAME`: the cluster's agents renew their certificates; with
 * `--revoke-after`, the certificates issued before now are revoked once it has passed; with
 * `--output`, a new install bundle is written too.
 */
export async function rotateCert(args: readonly string[]): Promise<void> {
  const { values, positionals, client } = parseCommand(
    args,
    { "revoke-after": { type: "string" }, ...BUNDLE_OPTIONS },
    ["NAME"],
  );
  const name = positionals[0]!;
  const revokeAfter = str(values, "revoke-after");
  if (revokeAfter !== undefined && parseDurationMs(revokeAfter) === undefined)
    throw new UsageError(
      `--revoke-after: expected a duration such as 1h or 30m, got ${JSON.stringify(revokeAfter)}`,
    );
  const gateway = gatewayOption(values);
  const dir = str(values, "output") === undefined ? undefined : bundleDir(values, name);

  const rotation = await client.call<{ cluster: ClusterJSON; certificates: CertificateJSON[] }>(
    "POST",
    clusterPath(name, "/certificates/rotate"),
    revokeAfter === undefined ? {} : { revoke_after: revokeAfter },
  );
  process.stdout.write(
    `cluster ${name}: its agents renew their certificates on their next configuration poll\n`,
  );
  const scheduled = rotation.certificates.filter((c) => c.revoked_at === null && c.revoke_at !== null);
  if (revokeAfter !== undefined && scheduled.length > 0)
    process.stdout.write(
      `${scheduled.length} certificate${scheduled.length > 1 ? "s" : ""} issued before now will be revoked at ${scheduled[0]!.revoke_at}\n`,
    );
  else if (revokeAfter === undefined)
    process.stdout.write(
      `the current certificates stay valid until they expire (give --revoke-after, or run \`mirador cluster revoke ${name}\`)\n`,
    );
  if (dir === undefined) return;
  const bundle = await client.call<BundleJSON>("POST", clusterPath(name, "/certificates"), {});
  const gatewayUrl = write(dir, rotation.cluster, bundle, values, gateway, client);
  const cmd = installCommands(dir);
  process.stdout.write(
    `new install bundle in ${dir} (certificate ${bundle.certificate.serial}); install it with
  ${cmd.host}
or
  ${cmd.kubernetes}
`,
  );
  warnIfLocal(gatewayUrl);
}

/** `--gateway`, checked before anything changes on the seed. */
function gatewayOption(values: Values): string | undefined {
  const given = str(values, "gateway");
  if (given === undefined) return undefined;
  try {
    return normaliseGatewayUrl(given);
  } catch (err) {
    throw new UsageError(`--gateway: ${(err as Error).message}`);
  }
}

/** `--output` (default `./NAME`) as an absolute path; refuses a directory that holds a bundle already. */
function bundleDir(values: Values, name: string): string {
  const dir = resolve(str(values, "output") ?? name);
  if (existsSync(join(dir, "tls.key")))
    throw new CommandError(
      `${dir} already holds an install bundle (tls.key); give another --output, or move it away first`,
    );
  return dir;
}

async function ensureProject(client: RegistryClient, project: string, create: boolean): Promise<void> {
  try {
    await client.call("GET", `/projects/${encodeURIComponent(project)}`);
    return;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  if (!create)
    throw new CommandError(
      `project ${project} does not exist; create it with \`mirador project add ${project}\`, or pass --create-project`,
    );
  await client.call("POST", "/projects", { name: project });
  process.stdout.write(`project ${project} created\n`);
}

/**
 * Writes the install bundle; the gateway URL is `--gateway`, else the one the seed advertises, else
 * the seed's host on port 9701. Resolves with the URL used.
 */
function write(
  dir: string,
  cluster: ClusterJSON,
  bundle: BundleJSON,
  values: Values,
  gateway: string | undefined,
  client: RegistryClient,
): string {
  const host = client.hostname;
  const gatewayUrl =
    gateway ??
    bundle.gateway_url ??
    `https://${isIP(host) === 6 ? `[${host}]` : host}:${DEFAULT_GATEWAY_PORT}`;
  const image = str(values, "image");
  const namespace = str(values, "namespace");
  try {
    const files = installBundle({
      cluster: { name: cluster.name, project: cluster.project },
      certPem: bundle.cert_pem,
      keyPem: bundle.key_pem,
      caPem: bundle.ca_pem,
      gatewayUrl,
      dir,
      ...(image !== undefined && { image }),
      ...(namespace !== undefined && { namespace }),
    });
    writeBundle(dir, files);
  } catch (err) {
    throw new CommandError(
      `cluster ${cluster.name} has a new certificate, but its bundle could not be written to ${dir}: ${(err as Error).message}; get another with: mirador cluster rotate-cert ${cluster.name} --output DIR`,
    );
  }
  return gatewayUrl;
}

/** Warns when the bundle points agents at this machine only. */
function warnIfLocal(gatewayUrl: string): void {
  const host = new URL(gatewayUrl).hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.startsWith("127.") || host === "::1")
    process.stderr.write(
      `warning: the bundle sends agents to ${gatewayUrl}, which only this machine reaches; for agents elsewhere (and in Kubernetes) pass --gateway https://NAME:${DEFAULT_GATEWAY_PORT} with a NAME they reach and the seed's gateway.hosts lists\n`,
    );
}
