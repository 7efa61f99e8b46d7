import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { chmod, copyFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CaError,
  type CaErrorCode,
  CertificateAuthority,
  CLOCK_SKEW_MS,
  DEFAULT_CA_COMMON_NAME,
  DEFAULT_CERT_LIFETIME_MS,
} from "./index.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const posix = process.platform !== "win32";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-ca-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs `fn` and returns the `CaError` it throws; fails the test if it throws anything else or nothing. */
async function caError(fn: () => Promise<unknown>): Promise<CaError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CaError);
    return err as CaError;
  }
  throw new Error("expected a CaError, nothing was thrown");
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe("CertificateAuthority.loadOrCreate", () => {
  it("creates a P-256 CA with an owner-only key, and loads the same CA the second time", async () => {
    const dir = join(root, "fresh", "ca");
    const ca = await CertificateAuthority.loadOrCreate(dir);

    if (posix) {
      expect(await mode(dir)).toBe(0o700);
      expect(await mode(join(dir, CA_KEY_FILE))).toBe(0o600);
      expect(await mode(join(dir, CA_CERT_FILE))).toBe(0o644);
    }
    expect(await readFile(join(dir, CA_CERT_FILE), "utf8")).toBe(ca.certPem);
    const keyPem = await readFile(join(dir, CA_KEY_FILE), "utf8");
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE KEY-----\n$/);

    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe(`O=mirador\nCN=${DEFAULT_CA_COMMON_NAME}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * DAY_MS);
    expect(years).toBeGreaterThan(9.99);
    expect(years).toBeLessThan(10.01);
    expect(cert.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);

    const again = await CertificateAuthority.loadOrCreate(dir, { commonName: "ignored once the CA exists" });
    expect(again.certPem).toBe(ca.certPem);
    // The loaded key signs: a certificate it issues verifies against the CA certificate.
    const issued = new X509Certificate((await again.issueClientCertificate("c1")).certPem);
    expect(issued.verify(cert.publicKey)).toBe(true);
  });

  it.each([
    { missing: CA_CERT_FILE, present: CA_KEY_FILE },
    { missing: CA_KEY_FILE, present: CA_CERT_FILE },
  ])("refuses a CA directory where $missing is missing", async ({ missing, present }) => {
    const dir = join(root, `half-${missing}`);
    await CertificateAuthority.loadOrCreate(dir);
    await rm(join(dir, missing));
    const err = await caError(() => CertificateAuthority.loadOrCreate(dir));
    expect(err.code).toBe("CA_INCOMPLETE");
    expect(err.message).toContain(join(dir, missing));
    expect(err.message).toContain(join(dir, present));
  });

  it.runIf(posix)("refuses a key file that others can read, and says how to fix it", async () => {
    const dir = join(root, "loose");
    await CertificateAuthority.loadOrCreate(dir);
    const keyPath = join(dir, CA_KEY_FILE);
    await chmod(keyPath, 0o640);
    const err = await caError(() => CertificateAuthority.loadOrCreate(dir));
    expect(err.code).toBe("CA_KEY_PERMISSIONS");
    expect(err.message).toContain(`chmod 600 ${keyPath}`);
    expect(await mode(keyPath)).toBe(0o640);
    await chmod(keyPath, 0o600);
    await CertificateAuthority.loadOrCreate(dir);
  });

  it("refuses a key that is not the certificate's, and a garbled certificate", async () => {
    const dir = join(root, "mismatch");
    const other = join(root, "mismatch-other");
    await CertificateAuthority.loadOrCreate(dir);
    await CertificateAuthority.loadOrCreate(other);
    await copyFile(join(other, CA_KEY_FILE), join(dir, CA_KEY_FILE));
    expect((await caError(() => CertificateAuthority.loadOrCreate(dir))).code).toBe("CA_KEY_MISMATCH");

    await copyFile(join(other, CA_KEY_FILE), join(dir, CA_CERT_FILE));
    expect((await caError(() => CertificateAuthority.loadOrCreate(dir))).code).toBe("CA_UNREADABLE");
  });

  it("refuses to load a CA whose certificate has expired", async () => {
    const dir = join(root, "expired");
    const elevenYearsAgo = new Date(Date.now() - 11 * 365.25 * DAY_MS);
    await CertificateAuthority.loadOrCreate(dir, { now: () => elevenYearsAgo });
    const err = await caError(() => CertificateAuthority.loadOrCreate(dir));
    expect(err.code).toBe("CA_EXPIRED");
    expect(err.message).toContain(dir);
  });
});

describe("issued certificates", () => {
  // Whole seconds, as certificates store them.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let ca: CertificateAuthority;
  let caCert: X509Certificate;
  beforeAll(async () => {
    ca = await CertificateAuthority.loadOrCreate(join(root, "issuing"), { now: () => now });
    caCert = new X509Certificate(ca.certPem);
  });

  it("issues a client certificate that names the cluster", async () => {
    const issued = await ca.issueClientCertificate("prod-eu.1");
    const cert = new X509Certificate(issued.certPem);

    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("O=mirador-cluster\nCN=prod-eu.1");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // clientAuth only
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new Date(cert.validFrom)).toEqual(new Date(now.getTime() - CLOCK_SKEW_MS));
    expect(new Date(cert.validTo)).toEqual(new Date(now.getTime() + DEFAULT_CERT_LIFETIME_MS));
    expect(issued.notAfter).toEqual(new Date(cert.validTo));
    expect(issued.serialNumber).toBe(cert.serialNumber.toLowerCase());
    expect(issued.serialNumber).not.toBe((await ca.issueClientCertificate("prod-eu.1")).serialNumber);

    expect(issued.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(issued.keyPem);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(createPublicKey(key).equals(cert.publicKey)).toBe(true);
  });

  it("honours lifetimeMs, but never outlives the CA", async () => {
    const short = await ca.issueClientCertificate("c1", { lifetimeMs: 7 * DAY_MS });
    expect(short.notAfter).toEqual(new Date(now.getTime() + 7 * DAY_MS));
    const long = await ca.issueClientCertificate("c1", { lifetimeMs: 20 * 365 * DAY_MS });
    expect(long.notAfter).toEqual(new Date(caCert.validTo));
  });

  it("issues a serving certificate for DNS names and IP addresses", async () => {
    const issued = await ca.issueServerCertificate([
      "gateway.mirador.svc",
      "localhost",
      "127.0.0.1",
      "::1",
      "*.example.org",
    ]);
    const cert = new X509Certificate(issued.certPem);

    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("CN=gateway.mirador.svc");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only
    expect(cert.checkHost("gateway.mirador.svc")).toBe("gateway.mirador.svc");
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkHost("a.example.org")).toBe("*.example.org");
    expect(cert.checkHost("mirador.example.com")).toBeUndefined();
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkIP("::1")).toBe("::1");
    expect(cert.checkIP("10.0.0.1")).toBeUndefined();
    expect(new Date(cert.validTo)).toEqual(new Date(now.getTime() + DEFAULT_CERT_LIFETIME_MS));
  });

  it("writes an IPv6 address in any notation as its address", async () => {
    const cert = new X509Certificate(
      (await ca.issueServerCertificate(["::ffff:10.1.2.3", "fd00:0:0::0001"])).certPem,
    );
    expect(cert.checkIP("::ffff:a01:203")).toBe("::ffff:a01:203");
    expect(cert.checkIP("fd00::1")).toBe("fd00::1");
  });

  it.each<{ name: string; issue: (ca: CertificateAuthority) => Promise<unknown>; code: CaErrorCode }>([
    { name: "an empty cluster id", issue: (ca) => ca.issueClientCertificate(""), code: "BAD_CLUSTER_ID" },
    {
      name: "a cluster id with a slash",
      issue: (ca) => ca.issueClientCertificate("a/b"),
      code: "BAD_CLUSTER_ID",
    },
    {
      name: "a cluster id with a comma",
      issue: (ca) => ca.issueClientCertificate("a,O=x"),
      code: "BAD_CLUSTER_ID",
    },
    {
      name: "a zero lifetime",
      issue: (ca) => ca.issueClientCertificate("c", { lifetimeMs: 0 }),
      code: "BAD_LIFETIME",
    },
    {
      name: "a fractional lifetime",
      issue: (ca) => ca.issueClientCertificate("c", { lifetimeMs: 1.5 }),
      code: "BAD_LIFETIME",
    },
    { name: "no hosts", issue: (ca) => ca.issueServerCertificate([]), code: "BAD_HOST" },
    { name: "a host with a space", issue: (ca) => ca.issueServerCertificate(["my host"]), code: "BAD_HOST" },
    { name: "an empty label", issue: (ca) => ca.issueServerCertificate(["a..b"]), code: "BAD_HOST" },
    { name: "an IPv6 zone id", issue: (ca) => ca.issueServerCertificate(["fe80::1%eth0"]), code: "BAD_HOST" },
  ])("refuses $name", async ({ issue, code }) => {
    expect((await caError(() => issue(ca))).code).toBe(code);
  });
});
