import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RegistryRole } from "../registry/index.js";

/** Reissue a demo certificate when it has less than this left. */
const RENEW_BEFORE_MS = 7 * 86_400_000;

/** Paths of a cluster's agent bundle: its certificate, key, the seed CA and a ready agent.yaml. */
export interface AgentBundle {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly configFile: string;
}

/**
 * Registers `cluster` and writes its agent bundle under `dir`, reusing a certificate already there
 * while it is valid, issued by the current CA and not close to expiry.
 */
export async function ensureAgentBundle(
  registry: RegistryRole,
  cluster: string,
  project: string,
  dir: string,
  agentConfig: (b: AgentBundle) => Record<string, unknown>,
): Promise<AgentBundle> {
  const bundle: AgentBundle = {
    dir,
    certFile: join(dir, "tls.crt"),
    keyFile: join(dir, "tls.key"),
    caFile: join(dir, "ca.crt"),
    configFile: join(dir, "agent.yaml"),
  };
  registry.clusters.ensure(cluster, project);
  if (!usable(bundle, registry.ca.certPem, cluster)) {
    const { certificate } = await registry.registerCluster(cluster, project);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(bundle.keyFile, certificate.keyPem, { mode: 0o600 });
    writeFileSync(bundle.certFile, certificate.certPem, { mode: 0o644 });
  }
  writeFileSync(bundle.caFile, registry.ca.certPem, { mode: 0o644 });
  writeFileSync(
    bundle.configFile,
    `# Agent of cluster ${cluster}; run with: mirador agent --config ${bundle.configFile}\n${stringify(agentConfig(bundle))}`,
  );
  return bundle;
}

function usable(b: AgentBundle, caPem: string, cluster: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(b.certFile));
    readFileSync(b.keyFile);
    return (
      cert.checkIssued(new X509Certificate(caPem)) &&
      cert.subject.includes(`CN=${cluster}`) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS
    );
  } catch {
    return false;
  }
}
