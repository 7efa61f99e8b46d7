import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import type { GatewayCa } from "./gateway-registry.js";

/** The gateway's serving certificate and key, PEM, with the validity read from the certificate. */
export interface ServingIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  /** Lowercase hex. */
  readonly serial: string;
  /** Unix ms. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** File names under `<data_dir>/gateway/`. */
const CERT_FILE = "tls.crt";
const KEY_FILE = "tls.key";

/**
 * The gateway's serving certificate, kept under `dir` (`tls.crt`, `tls.key` mode 0600) and issued
 * by the seed's CA for `hosts` with `lifetimeMs`. It is due for renewal when less than a third of
 * its own lifetime is left (`notAfter - notBefore`), when it was not issued by the CA in use, or
 * when it does not cover every host.
 */
export class ServingCertificate {
  constructor(
    private readonly dir: string,
    private readonly ca: GatewayCa,
    private readonly hosts: readonly string[],
    private readonly lifetimeMs: number,
  ) {}

  /** The certificate on disk when it is still good at `nowMs`, else a new one (written to disk). */
  async load(nowMs: number): Promise<ServingIdentity> {
    const stored = await this.#read();
    if (stored !== undefined && !this.due(stored, nowMs)) return stored;
    return this.issue();
  }

  /** Whether `id` should be replaced at `nowMs`. */
  due(id: ServingIdentity, nowMs: number): boolean {
    if (id.notAfter - nowMs < (id.notAfter - id.notBefore) / 3) return true;
    const x = new X509Certificate(id.certPem);
    if (!x.checkIssued(new X509Certificate(this.ca.certPem))) return true;
    return !this.hosts.every((h) => (isIP(h) !== 0 ? x.checkIP(h) : x.checkHost(h)) !== undefined);
  }

  /**
   * Issues a new certificate and writes it, replacing the files atomically (each is written beside
   * and renamed), the key first: a crash leaves the old pair, the new pair, or a new key with the
   * old certificate, which {@link load} finds unusable and replaces.
   */
  async issue(): Promise<ServingIdentity> {
    const issued = await this.ca.issueServerCertificate([...this.hosts], { lifetimeMs: this.lifetimeMs });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeAtomically(join(this.dir, KEY_FILE), issued.keyPem, 0o600);
    await writeAtomically(join(this.dir, CERT_FILE), issued.certPem, 0o644);
    return identity(issued.certPem, issued.keyPem);
  }

  async #read(): Promise<ServingIdentity | undefined> {
    let certPem: string;
    let keyPem: string;
    try {
      [certPem, keyPem] = await Promise.all([
        readFile(join(this.dir, CERT_FILE), "utf8"),
        readFile(join(this.dir, KEY_FILE), "utf8"),
      ]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const id = identity(certPem, keyPem);
      // A key left over from an interrupted renewal does not belong to the certificate.
      return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)) ? id : undefined;
    } catch {
      return undefined; // unreadable files are replaced
    }
  }
}

function identity(certPem: string, keyPem: string): ServingIdentity {
  const x = new X509Certificate(certPem);
  return {
    certPem,
    keyPem,
    serial: x.serialNumber.toLowerCase(),
    notBefore: Date.parse(x.validFrom),
    notAfter: Date.parse(x.validTo),
  };
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await rm(tmp, { force: true }); // a leftover could have another mode, which writeFile would keep
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}
