/**
 * The agent's mTLS identity: its certificate and key, what the certificate says (serial, validity,
 * cluster), the generation it belongs to, and the renewed pair the agent keeps under
 * `<data_dir>/tls/` (docs/api/agent-protocol.md, "What the agent keeps on disk").
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/fs/atomic-file.js";
import type { ClientTls } from "../remote-write/index.js";

/** Organization of every cluster certificate the seed's CA issues. */
const CLUSTER_ORGANIZATION = "mirador-cluster";
/** The state file that names the renewed pair; renaming it into place is what commits a renewal. */
const STATE_FILE = "state.json";

/** A client identity and what its certificate says. */
export interface Identity extends ClientTls {
  /** Serial number, lowercase hex. */
  readonly serial: string;
  /** Validity, Unix ms. */
  readonly notBefore: number;
  readonly notAfter: number;
  /**
   * The `certificate_generation` the certificate was issued under: recorded with a renewed pair;
   * 0 for a certificate from a bundle, whose generation the agent cannot know.
   */
  readonly generation: number;
  /** Where it came from: the configuration's files (or the caller) or `<data_dir>/tls/`. */
  readonly source: "configured" | "renewed";
}

/** What `<data_dir>/tls/state.json` holds. */
interface StateFile {
  readonly serial: string;
  readonly generation: number;
  readonly cert_file: string;
  readonly key_file: string;
  readonly not_after: string;
}

/**
 * Reads `tls`'s certificate. Throws when it cannot be parsed, when the key does not belong to it,
 * or, with `cluster`, when it does not chain to `tls.ca` or name that cluster.
 */
export function describeIdentity(
  tls: ClientTls,
  generation: number,
  source: Identity["source"],
  cluster?: string,
): Identity {
  const cert = new X509Certificate(tls.cert);
  if (!cert.checkPrivateKey(createPrivateKey(tls.key)))
    throw new Error("the private key does not belong to the certificate");
  if (cluster !== undefined) {
    const ca = new X509Certificate(tls.ca);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      throw new Error("the certificate was not issued by the configured CA (tls.ca_file)");
    const named = certificateCluster(cert);
    if (named !== cluster)
      throw new Error(
        `the certificate names cluster ${JSON.stringify(named ?? "")}, not ${JSON.stringify(cluster)}`,
      );
  }
  return {
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    serial: cert.serialNumber.toLowerCase(),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    generation,
    source,
  };
}

/**
 * The identity to start with: the renewed pair in `<dataDir>/tls/` when it is valid, chains to the
 * configured CA, names `cluster` and expires later than the configured certificate; else the
 * configured one. `warn` is told why a renewed pair present was not taken.
 */
export async function chooseIdentity(
  configured: ClientTls,
  dataDir: string,
  cluster: string,
  now: number,
  warn: (msg: string, fields: Record<string, unknown>) => void,
): Promise<Identity> {
  const base = describeIdentity(configured, 0, "configured");
  const dir = join(dataDir, "tls");
  let state: StateFile;
  try {
    state = JSON.parse(await readFile(join(dir, STATE_FILE), "utf8")) as StateFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      warn("renewed certificate state unreadable; using the configured certificate", { dir, err });
    return base;
  }
  try {
    const [cert, key] = await Promise.all([
      readFile(join(dir, state.cert_file), "utf8"),
      readFile(join(dir, state.key_file), "utf8"),
    ]);
    const generation = Number.isSafeInteger(state.generation) && state.generation >= 0 ? state.generation : 0;
    const renewed = describeIdentity({ cert, key, ca: configured.ca }, generation, "renewed", cluster);
    if (renewed.notAfter <= now) throw new Error(`it expired at ${new Date(renewed.notAfter).toISOString()}`);
    if (renewed.notAfter <= base.notAfter) {
      warn("renewed certificate expires before the configured one; using the configured certificate", {
        dir,
        renewed: renewed.serial,
        configured: base.serial,
      });
      return base;
    }
    return renewed;
  } catch (err) {
    warn("renewed certificate not usable; using the configured certificate", { dir, err });
    return base;
  }
}

/**
 * Keeps a renewed identity in `<dataDir>/tls/`: key (mode 0600) and certificate under names of
 * their serial, then the state file naming them and the generation, each written atomically; a
 * crash at any point leaves the previous state file naming a complete earlier pair. Files of
 * earlier pairs are removed afterwards.
 */
export async function saveIdentity(dataDir: string, id: Identity): Promise<void> {
  const dir = join(dataDir, "tls");
  const certFile = `client-${id.serial}.crt`;
  const keyFile = `client-${id.serial}.key`;
  await writeFileAtomic(join(dir, keyFile), id.key, 0o600);
  await writeFileAtomic(join(dir, certFile), id.cert, 0o644);
  const state: StateFile = {
    serial: id.serial,
    generation: id.generation,
    cert_file: certFile,
    key_file: keyFile,
    not_after: new Date(id.notAfter).toISOString(),
  };
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  for (const name of await readdir(dir)) {
    if (/^client-[0-9a-f]+\.(crt|key)$/.test(name) && name !== certFile && name !== keyFile)
      await rm(join(dir, name), { force: true });
  }
}

/**
 * Why `id` should be renewed now, if it should: less than `fraction` of its lifetime left, or a
 * `wantedGeneration` (from the configuration) above its own.
 */
export function renewalReason(
  id: Identity,
  fraction: number,
  wantedGeneration: number,
  now: number,
): "expiring" | "generation" | undefined {
  if (wantedGeneration > id.generation) return "generation";
  const lifetime = id.notAfter - id.notBefore;
  if (id.notAfter - now < fraction * lifetime) return "expiring";
  return undefined;
}

/** The cluster a client certificate names (`CN` under `O=mirador-cluster`), if any. */
function certificateCluster(cert: X509Certificate): string | undefined {
  const fields = new Map<string, string[]>();
  for (const line of cert.subject.split("\n")) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const k = line.slice(0, eq);
    fields.set(k, [...(fields.get(k) ?? []), line.slice(eq + 1)]);
  }
  const cn = fields.get("CN");
  const o = fields.get("O");
  if (cn?.length !== 1 || o?.length !== 1 || o[0] !== CLUSTER_ORGANIZATION) return undefined;
  return cn[0];
}
