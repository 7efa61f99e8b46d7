import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { checkAgentConfigBody } from "../registry/agent-config-body.js";
import { hostAgentConfig, installBundle, writeBundle } from "../registry/bundle/index.js";
import type { RegistryRole } from "../registry/index.js";
import type { AgentRemoteConfigBody } from "../registry/model.js";

/** Reissue a demo certificate when it has less than this left. */
const RENEW_BEFORE_MS = 7 * 86_400_000;

/** Where a demo cluster's install bundle lives, and its agent configuration file. */
export interface DemoBundle {
  readonly dir: string;
  readonly configFile: string;
}

/**
 * What `mirador cluster add` does for a demo cluster, through the same registry service and bundle
 * writer: registers `cluster` in `project` (both unless they exist) and writes its install bundle
 * into `dir`. A bundle already there is kept while the cluster exists and its certificate is valid,
 * issued by the current CA and not close to expiry. The bundle's `agent.yaml` gets `agentOverrides`
 * (the demo's own port and scrape interval) on top of what `cluster add` writes.
 */
export async function ensureDemoBundle(
  registry: RegistryRole,
  cluster: string,
  project: string,
  dir: string,
  gatewayUrl: string,
  agentOverrides: Record<string, unknown>,
): Promise<DemoBundle> {
  const { service } = registry;
  if ((await service.getProject(project)) === undefined) {
    await service.createProject(project, "the demo clusters of mirador up");
  }
  const registered = await service.getCluster(cluster);
  const configFile = join(dir, "agent.yaml");
  if (registered === undefined || !usable(dir, registry.ca.certPem, cluster)) {
    const issued = registered
      ? await service.issueBundleCertificate(cluster)
      : (await service.addCluster(cluster, { project, labels: { demo: "true" } })).issued;
    writeBundle(
      dir,
      installBundle({
        cluster: { name: cluster, project },
        certPem: issued.certPem,
        keyPem: issued.keyPem,
        caPem: issued.caPem,
        gatewayUrl,
        dir,
      }),
    );
  }
  // The gateway's port may differ from the last run's: the agent file is rewritten every start.
  const agent = { ...hostAgentConfig({ cluster, gatewayUrl }), ...agentOverrides };
  writeFileSync(
    configFile,
    `# Agent of demo cluster ${cluster}; run alone with: mirador-agent --config ${configFile}\n${stringify(agent)}`,
  );
  return { dir, configFile };
}

/**
 * Sets the cluster's agent configuration in the registry unless it already says `body`, so that a
 * restart of the demo does not bump the version for nothing.
 */
export async function ensureDemoAgentConfig(
  registry: RegistryRole,
  cluster: string,
  body: AgentRemoteConfigBody,
): Promise<number> {
  const current = await registry.service.getAgentConfig(cluster);
  if (JSON.stringify(current.body) === JSON.stringify(checkAgentConfigBody(body))) return current.version;
  return (await registry.service.setAgentConfig(cluster, body)).version;
}

function usable(dir: string, caPem: string, cluster: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(join(dir, "tls.crt")));
    readFileSync(join(dir, "tls.key"));
    return (
      cert.checkIssued(new X509Certificate(caPem)) &&
      cert.subject.split("\n").includes(`CN=${cluster}`) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS
    );
  } catch {
    return false;
  }
}
