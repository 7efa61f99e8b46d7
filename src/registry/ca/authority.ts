// @peculiar/x509 declares its ASN.1 schemas with decorators that use the Reflect metadata API;
// reflect-metadata installs that API and must be evaluated before @peculiar/x509 is loaded.
import "reflect-metadata";

import { createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { tenantIdProblem } from "../../model/tenant.js";
import {
  type CrlEntry,
  type CrlOptions,
  crlEntryParams,
  crlNumberExtension,
  DEFAULT_CRL_NEXT_UPDATE_MS,
  opensslCrlPem,
} from "./crl.js";
import { certificateRequestKey } from "./csr.js";
import { CaError } from "./errors.js";
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  type CaFiles,
  readCaFiles,
  readSuppliedCaFiles,
  writeCaFiles,
} from "./files.js";
import { CLUSTER_ORGANIZATION } from "./inspect.js";

x509.cryptoProvider.set(webcrypto);

/** Common name given to a new CA when `loadOrCreate` is not told one. */
export const DEFAULT_CA_COMMON_NAME = "Mirador CA";

/** Organization (O) in the subject of the CA certificate. */
export const CA_ORGANIZATION = "mirador";

/** Lifetime of an issued certificate when the caller does not choose one: 90 days, in milliseconds. */
export const DEFAULT_CERT_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

/** How far `notBefore` is set in the past so that peers with a slow clock accept a new certificate, in milliseconds. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Lifetime of a new CA certificate, in years. */
export const CA_LIFETIME_YEARS = 10;

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** A certificate the CA signed. */
export interface SignedCertificate {
  /** The certificate, PEM. */
  readonly certPem: string;
  /** Serial number in lowercase hex, as Node's `X509Certificate.serialNumber` reports it modulo case. */
  readonly serialNumber: string;
  /** End of validity (inclusive, second precision): never later than the CA certificate's own. */
  readonly notAfter: Date;
}

/** A certificate the CA issued, with the private key that belongs to it. */
export interface IssuedCertificate extends SignedCertificate {
  /** The certificate's private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`); the CA keeps no copy. */
  readonly keyPem: string;
}

/** Options for issuing one certificate. */
export interface IssueOptions {
  /** Validity from now, in milliseconds; a positive integer. Defaults to `DEFAULT_CERT_LIFETIME_MS`. */
  readonly lifetimeMs?: number;
}

/** Options for `CertificateAuthority.loadOrCreate`. */
export interface LoadOrCreateOptions {
  /** Common name of a CA created by this call; ignored when the CA already exists. */
  readonly commonName?: string;
  /** The clock used for validity periods; defaults to the system clock. */
  readonly now?: () => Date;
}

/** Where a CA's files are, and what to tell the admin when they are wrong. */
interface CaLocation {
  readonly certPath: string;
  readonly keyPath: string;
  /** What to do once the CA certificate has expired. */
  readonly whenExpired: string;
}

/**
 * The seed's certificate authority: an ECDSA P-256 key and self-signed certificate kept in one
 * directory, issuing client certificates that name a cluster and serving certificates for the gateway.
 * It also signs agents' certificate requests and the revocation lists the gateway checks; which
 * certificates exist and which are revoked is the registry's record, not the CA's.
 */
export class CertificateAuthority {
  readonly #cert: x509.X509Certificate;
  readonly #certPem: string;
  readonly #key: webcrypto.CryptoKey;
  readonly #authorityKeyId: x509.AuthorityKeyIdentifierExtension;
  readonly #now: () => Date;

  private constructor(
    cert: x509.X509Certificate,
    key: webcrypto.CryptoKey,
    authorityKeyId: x509.AuthorityKeyIdentifierExtension,
    now: () => Date,
  ) {
    this.#cert = cert;
    this.#certPem = toPemWithNewline(cert.toString("pem"));
    this.#key = key;
    this.#authorityKeyId = authorityKeyId;
    this.#now = now;
  }

  /**
   * Loads the CA kept in `dir` (`ca.crt` and `ca.key`), or creates one there on first use: a
   * self-signed ECDSA P-256 certificate valid for `CA_LIFETIME_YEARS` years. `dir` is created with
   * mode 0700 and the key written with mode 0600. Throws a `CaError` when only one of the two files
   * exists, the key file is readable by others than its owner (it is refused, not tightened; see
   * `readCaFiles`), the files are not a matching CA certificate and key, or the CA has expired.
   * One process at a time may create the CA in a directory.
   */
  static async loadOrCreate(dir: string, opts: LoadOrCreateOptions = {}): Promise<CertificateAuthority> {
    const now = opts.now ?? (() => new Date());
    const files = await readCaFiles(dir);
    if (files !== undefined) {
      const where: CaLocation = {
        certPath: join(dir, CA_CERT_FILE),
        keyPath: join(dir, CA_KEY_FILE),
        whenExpired:
          `move the files in ${dir} aside to create a new CA, then issue every cluster and the gateway ` +
          "new certificates",
      };
      return CertificateAuthority.#load(where, files, now);
    }

    const commonName = opts.commonName ?? DEFAULT_CA_COMMON_NAME;
    if (commonName.trim() === "")
      throw new CaError("BAD_COMMON_NAME", "the CA's common name must not be empty");
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
    const start = now().getTime();
    const notAfter = new Date(start);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);
    const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialNumber(),
      name: [{ O: [CA_ORGANIZATION] }, { CN: [commonName] }],
      notBefore: new Date(start - CLOCK_SKEW_MS),
      notAfter,
      keys,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        // pathLength 0: this CA signs end-entity certificates only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
      ],
    });
    const ca = new CertificateAuthority(
      cert,
      keys.privateKey,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId),
      now,
    );
    await writeCaFiles(dir, { certPem: ca.certPem, keyPem: await privateKeyPem(keys.privateKey) });
    return ca;
  }

  /**
   * Loads a CA the admin supplies (`registry.ca_cert_file`, `registry.ca_key_file`): a PEM file
   * holding the CA certificate alone and a PKCS#8 or SEC1 PEM key file of mode 0600. The same checks
   * as `loadOrCreate` apply (key readable by its owner only, ECDSA P-256, the certificate's own key,
   * basicConstraints CA:true, not expired), plus: a keyUsage extension, when present, must allow
   * keyCertSign and cRLSign, and the certificate must be self-signed (a root: Node's TLS cannot
   * anchor trust in an intermediate). Nothing is ever written; an invalid pair throws a `CaError`.
   */
  static async loadFromFiles(
    certFile: string,
    keyFile: string,
    opts: { readonly now?: () => Date } = {},
  ): Promise<CertificateAuthority> {
    const files = await readSuppliedCaFiles(certFile, keyFile);
    const where: CaLocation = {
      certPath: certFile,
      keyPath: keyFile,
      whenExpired:
        "replace the files named by registry.ca_cert_file and registry.ca_key_file with a valid CA, " +
        "then issue every cluster and the gateway new certificates",
    };
    const blocks = files.certPem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (blocks > 1) {
      throw new CaError(
        "CA_UNREADABLE",
        `${certFile} (registry.ca_cert_file) holds ${blocks} certificates; give the CA certificate alone ` +
          "(chains are not supported: the CA must be the agents' and the gateway's trust anchor)",
      );
    }
    const ca = await CertificateAuthority.#load(where, files, opts.now ?? (() => new Date()));
    // Node 20's TLS has no partial-chain option: a trust anchor that is not self-signed makes every
    // handshake fail with "unable to get issuer certificate".
    if (!(await new x509.X509Certificate(files.certPem).isSelfSigned())) {
      throw new CaError(
        "CA_UNREADABLE",
        `${certFile} (registry.ca_cert_file) is not self-signed: an intermediate CA cannot be the trust ` +
          "anchor of agents and the gateway; give a root CA",
      );
    }
    return ca;
  }

  static async #load(where: CaLocation, files: CaFiles, now: () => Date): Promise<CertificateAuthority> {
    const { certPath } = where;
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(files.certPem);
    } catch (err) {
      throw new CaError("CA_UNREADABLE", `${certPath} is not a PEM certificate: ${messageOf(err)}`, {
        cause: err,
      });
    }
    if (cert.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
      throw new CaError("CA_UNREADABLE", `${certPath} is not a CA certificate (basicConstraints CA:true)`);
    }
    const usages = cert.getExtension(x509.KeyUsagesExtension)?.usages;
    const needed = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
    if (usages !== undefined && (usages & needed) !== needed) {
      throw new CaError(
        "CA_UNREADABLE",
        `${certPath} has a keyUsage extension without keyCertSign and cRLSign, so it cannot sign ` +
          "certificates and revocation lists",
      );
    }
    const key = await importCaKey(where, files.keyPem, cert);
    if (cert.notAfter.getTime() <= now().getTime()) {
      throw new CaError(
        "CA_EXPIRED",
        `CA certificate ${certPath} expired at ${cert.notAfter.toISOString()}; ${where.whenExpired}`,
      );
    }
    const keyId =
      cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
      (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
    return new CertificateAuthority(cert, key, new x509.AuthorityKeyIdentifierExtension(keyId), now);
  }

  /** The CA certificate, PEM ending in a newline: the trust anchor for agents and the gateway. */
  get certPem(): string {
    return this.#certPem;
  }

  /**
   * Issues a client certificate for cluster `clusterId` with a new ECDSA P-256 key: subject
   * `CN=<clusterId>, O=mirador-cluster`, extended key usage clientAuth, valid from 5 minutes ago
   * for `lifetimeMs`. Throws a `CaError` when `clusterId` is not a valid tenant id or the
   * lifetime is not a positive integer.
   */
  async issueClientCertificate(clusterId: string, opts: IssueOptions = {}): Promise<IssuedCertificate> {
    const subject = clusterSubject(clusterId);
    return this.#issue(
      subject,
      [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
      opts,
    );
  }

  /**
   * Signs the PKCS#10 request `csrPem` (an agent renewing its certificate) as a client certificate
   * for cluster `clusterId`, exactly as `issueClientCertificate` would issue it but for the request's
   * public key. Only that key is taken from the request, and only once its signature verifies and it
   * is ECDSA P-256; the subject comes from `clusterId`, never from the request. Throws a `CaError`:
   * `BAD_CSR` for a request that does not parse, verify or carry a P-256 key, `BAD_CLUSTER_ID`,
   * `BAD_LIFETIME` as for `issueClientCertificate`.
   */
  async signRequest(csrPem: string, clusterId: string, opts: IssueOptions = {}): Promise<SignedCertificate> {
    const subject = clusterSubject(clusterId);
    const publicKey = await certificateRequestKey(csrPem);
    return this.#sign(
      subject,
      [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
      publicKey,
      opts,
    );
  }

  /**
   * A certificate revocation list (v2, signed with the CA key, with the authorityKeyIdentifier and
   * cRLNumber extensions) listing `entries`, valid from now until `nextUpdateMs` later (7 days by
   * default). PEM labelled `X509 CRL`, which Node's `tls` takes as its `crl` option. A TLS peer that
   * checks CRLs refuses every certificate once the CRL passes its nextUpdate, so issue a new one well
   * before. Throws `BAD_SERIAL` for an entry whose serial is not hex, `BAD_LIFETIME` for a bad
   * `nextUpdateMs`.
   */
  async issueCrl(entries: readonly CrlEntry[], opts: CrlOptions = {}): Promise<string> {
    const nextUpdateMs = opts.nextUpdateMs ?? DEFAULT_CRL_NEXT_UPDATE_MS;
    if (!Number.isSafeInteger(nextUpdateMs) || nextUpdateMs <= 0) {
      throw new CaError(
        "BAD_LIFETIME",
        `a CRL's nextUpdate must be a positive whole number of milliseconds ahead, got ${nextUpdateMs}`,
      );
    }
    const params = crlEntryParams(entries);
    // Second precision, as the CRL stores its times.
    const thisUpdate = new Date(Math.floor(this.#now().getTime() / 1000) * 1000);
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.#cert.subjectName,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + nextUpdateMs),
      signingAlgorithm: ECDSA_SHA256,
      signingKey: this.#key,
      extensions: [this.#authorityKeyId, crlNumberExtension(thisUpdate)],
      entries: params,
    });
    return opensslCrlPem(crl);
  }

  /**
   * Issues a serving certificate for `hosts` (DNS names, wildcards such as `*.example.org`, IPv4 or
   * IPv6 addresses) with a new ECDSA P-256 key: common name the first host, every host in the
   * subject alternative names, extended key usage serverAuth. Throws a `CaError` when `hosts` is
   * empty or holds something that is neither a DNS name nor an IP address.
   */
  async issueServerCertificate(
    hosts: readonly string[],
    opts: IssueOptions = {},
  ): Promise<IssuedCertificate> {
    const first = hosts[0];
    if (first === undefined) throw new CaError("BAD_HOST", "a server certificate needs at least one host");
    return this.#issue(
      [{ CN: [first] }],
      [
        new x509.SubjectAlternativeNameExtension(subjectAltNames(hosts)),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
      opts,
    );
  }

  async #issue(
    subject: x509.JsonName,
    extensions: x509.Extension[],
    opts: IssueOptions,
  ): Promise<IssuedCertificate> {
    checkLifetime(opts);
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
    const signed = await this.#sign(subject, extensions, keys.publicKey, opts);
    return { ...signed, keyPem: await privateKeyPem(keys.privateKey) };
  }

  async #sign(
    subject: x509.JsonName,
    extensions: x509.Extension[],
    publicKey: webcrypto.CryptoKey,
    opts: IssueOptions,
  ): Promise<SignedCertificate> {
    const lifetimeMs = checkLifetime(opts);
    const start = this.#now().getTime();
    const caNotAfter = this.#cert.notAfter.getTime();
    if (caNotAfter <= start) {
      throw new CaError("CA_EXPIRED", `the CA certificate expired at ${this.#cert.notAfter.toISOString()}`);
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject,
      issuer: this.#cert.subjectName,
      notBefore: new Date(start - CLOCK_SKEW_MS),
      notAfter: new Date(Math.min(start + lifetimeMs, caNotAfter)),
      publicKey,
      signingKey: this.#key,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...extensions,
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        this.#authorityKeyId,
      ],
    });
    return {
      certPem: toPemWithNewline(cert.toString("pem")),
      serialNumber: cert.serialNumber.toLowerCase(),
      notAfter: cert.notAfter,
    };
  }
}

/** The subject of cluster `clusterId`'s client certificate; throws `BAD_CLUSTER_ID` for an invalid id. */
function clusterSubject(clusterId: string): x509.JsonName {
  const problem = tenantIdProblem(clusterId);
  if (problem !== undefined)
    throw new CaError("BAD_CLUSTER_ID", `cannot issue a client certificate: ${problem}`);
  return [{ O: [CLUSTER_ORGANIZATION] }, { CN: [clusterId] }];
}

/** The lifetime `opts` asks for; throws `BAD_LIFETIME` unless it is a positive whole number of ms. */
function checkLifetime(opts: IssueOptions): number {
  const lifetimeMs = opts.lifetimeMs ?? DEFAULT_CERT_LIFETIME_MS;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) {
    throw new CaError(
      "BAD_LIFETIME",
      `certificate lifetime must be a positive whole number of milliseconds, got ${lifetimeMs}`,
    );
  }
  return lifetimeMs;
}

/** Imports the CA key for signing after checking that it is a P-256 key belonging to `cert`. */
async function importCaKey(
  where: CaLocation,
  keyPem: string,
  cert: x509.X509Certificate,
): Promise<webcrypto.CryptoKey> {
  const { keyPath } = where;
  let der: Buffer;
  let spki: Buffer;
  try {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new Error(`expected an ECDSA P-256 key, found ${key.asymmetricKeyType ?? "a symmetric key"}`);
    }
    der = key.export({ type: "pkcs8", format: "der" });
    spki = createPublicKey(key).export({ type: "spki", format: "der" });
  } catch (err) {
    throw new CaError("CA_UNREADABLE", `${keyPath} is not a usable CA private key: ${messageOf(err)}`, {
      cause: err,
    });
  }
  if (!spki.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new CaError(
      "CA_KEY_MISMATCH",
      `${keyPath} is not the private key of ${where.certPath}; restore the matching pair from a backup`,
    );
  }
  return webcrypto.subtle.importKey("pkcs8", der, EC_P256, false, ["sign"]);
}

/**
 * The subject alternative names for `hosts`: IP addresses (IPv6 in canonical hex form) and
 * lowercased DNS names, without duplicates.
 */
function subjectAltNames(hosts: readonly string[]): x509.JsonGeneralNames {
  const names: x509.JsonGeneralNames = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const name = generalName(host);
    const key = `${name.type} ${name.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function generalName(host: string): x509.JsonGeneralName {
  switch (isIP(host)) {
    case 4:
      return { type: "ip", value: host };
    case 6:
      if (host.includes("%")) {
        throw new CaError(
          "BAD_HOST",
          `IPv6 address ${JSON.stringify(host)} has a zone id, which a certificate cannot name`,
        );
      }
      // The URL parser rewrites any IPv6 form (embedded IPv4, leading zeros) as plain compressed hex.
      return { type: "ip", value: new URL(`http://[${host}]`).hostname.slice(1, -1) };
    default: {
      const name = host.toLowerCase();
      const labels = name.split(".");
      if (labels[0] === "*") labels.shift();
      if (name.length > 253 || labels.length === 0 || !labels.every((l) => DNS_LABEL.test(l))) {
        throw new CaError(
          "BAD_HOST",
          `${JSON.stringify(host)} is neither an IP address nor a DNS name (letters, digits and hyphens in dot-separated labels, optionally starting with "*.")`,
        );
      }
      return { type: "dns", value: name };
    }
  }
}

/**
 * A random serial number, hex: 16 bytes (RFC 5280 allows 20) with the top bit clear so the
 * integer is positive, and the next bit set so it is never shortened by a leading zero byte.
 */
function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString("hex");
}

/** `key` as PKCS#8 PEM, 64 base64 characters per line. */
async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const base64 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key)).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

function toPemWithNewline(pem: string): string {
  const text = pem.replace(/\r\n/g, "\n");
  return text.endsWith("\n") ? text : `${text}\n`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
