// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import { createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaError, type CaErrorCode, CertificateAuthority } from "./index.js";

const DAY_MS = 86_400_000;
const posix = process.platform !== "win32";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-supplied-ca-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface CaSpec {
  readonly curve?: "P-256" | "P-384";
  readonly isCa?: boolean;
  readonly usages?: x509.KeyUsageFlags;
  readonly notAfter?: Date;
}

/** A self-signed certificate and its key as an admin's own tooling might make them. */
async function adminCa(spec: CaSpec = {}): Promise<{ certPem: string; keyPem: string }> {
  const alg = { name: "ECDSA", namedCurve: spec.curve ?? "P-256" } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=Example Corp Root",
    keys,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: spec.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: { name: "ECDSA", hash: spec.curve === "P-384" ? "SHA-384" : "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(spec.isCa ?? true, undefined, true),
      new x509.KeyUsagesExtension(
        spec.usages ?? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  // SEC1 ("BEGIN EC PRIVATE KEY"), as `openssl ecparam -genkey` writes it.
  const keyPem = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" })
    .export({ type: "sec1", format: "pem" })
    .toString();
  return { certPem: cert.toString("pem"), keyPem };
}

let n = 0;
/** Writes `files` into a fresh directory (key mode `keyMode`) and returns the two paths. */
async function place(
  files: { certPem: string; keyPem: string },
  keyMode = 0o600,
): Promise<{ dir: string; cert: string; key: string }> {
  const dir = join(root, `case-${++n}`);
  await mkdir(dir);
  const cert = join(dir, "corp-ca.pem");
  const key = join(dir, "corp-ca-key.pem");
  await writeFile(cert, files.certPem, { mode: 0o644 });
  await writeFile(key, files.keyPem, { mode: keyMode });
  await chmod(key, keyMode);
  return { dir, cert, key };
}

async function caError(fn: () => Promise<unknown>): Promise<CaError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CaError);
    return err as CaError;
  }
  throw new Error("expected a CaError, nothing was thrown");
}

describe("CertificateAuthority.loadFromFiles", () => {
  it("loads an admin's CA (SEC1 key), issues with it, and writes nothing", async () => {
    const files = await adminCa();
    const { dir, cert, key } = await place(files);
    const before = await Promise.all(
      (await readdir(dir)).map(async (f) => [f, (await stat(join(dir, f))).mtimeMs]),
    );

    const ca = await CertificateAuthority.loadFromFiles(cert, key);
    expect(ca.certPem.trim()).toBe(files.certPem.trim());
    const issued = new X509Certificate((await ca.issueClientCertificate("c1")).certPem);
    expect(issued.verify(new X509Certificate(files.certPem).publicKey)).toBe(true);
    expect(issued.issuer).toBe("CN=Example Corp Root");
    await ca.issueCrl([]);

    const after = await Promise.all(
      (await readdir(dir)).map(async (f) => [f, (await stat(join(dir, f))).mtimeMs]),
    );
    expect(after).toEqual(before);
  });

  const mismatched = async () => {
    const a = await adminCa();
    const b = await adminCa();
    return { certPem: a.certPem, keyPem: b.keyPem };
  };
  const leaf = async () => {
    const ca = await CertificateAuthority.loadOrCreate(join(root, `leaf-ca-${++n}`));
    return ca.issueClientCertificate("not-a-ca");
  };
  const intermediate = async () => {
    const root = await adminCa();
    const rootKey = await webcrypto.subtle.importKey(
      "pkcs8",
      createPrivateKey(root.keyPem).export({ type: "pkcs8", format: "der" }),
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]);
    const cert = await x509.X509CertificateGenerator.create({
      subject: "CN=Example Corp Issuing CA",
      issuer: new x509.X509Certificate(root.certPem).subjectName,
      publicKey: keys.publicKey,
      signingKey: rootKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
    return {
      certPem: cert.toString("pem"),
      keyPem: createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" })
        .export({ type: "pkcs8", format: "pem" })
        .toString(),
    };
  };
  const twoCerts = async () => {
    const a = await adminCa();
    return { certPem: a.certPem + a.certPem, keyPem: a.keyPem };
  };

  it.each<{
    name: string;
    files: () => Promise<{ certPem: string; keyPem: string }>;
    keyMode?: number;
    code: CaErrorCode;
    message: RegExp;
  }>([
    ...(posix
      ? [
          {
            name: "a key file others can read",
            files: () => adminCa(),
            keyMode: 0o644,
            code: "CA_KEY_PERMISSIONS" as const,
            message: /mode 0644 .*chmod 600/,
          },
        ]
      : []),
    {
      name: "a P-384 CA",
      files: () => adminCa({ curve: "P-384" }),
      code: "CA_UNREADABLE",
      message: /expected an ECDSA P-256 key/,
    },
    {
      name: "a key of another certificate",
      files: mismatched,
      code: "CA_KEY_MISMATCH",
      message: /not the private key/,
    },
    {
      name: "a certificate that is not a CA",
      files: leaf,
      code: "CA_UNREADABLE",
      message: /not a CA certificate/,
    },
    {
      name: "a CA whose keyUsage cannot sign CRLs",
      files: () => adminCa({ usages: x509.KeyUsageFlags.keyCertSign }),
      code: "CA_UNREADABLE",
      message: /keyCertSign and cRLSign/,
    },
    {
      name: "an expired CA",
      files: () => adminCa({ notAfter: new Date(Date.now() - DAY_MS) }),
      code: "CA_EXPIRED",
      message: /registry\.ca_cert_file/,
    },
    {
      name: "an intermediate CA",
      files: intermediate,
      code: "CA_UNREADABLE",
      message: /is not self-signed: an intermediate CA cannot be the trust anchor/,
    },
    {
      name: "a file with two certificates",
      files: twoCerts,
      code: "CA_UNREADABLE",
      message: /holds 2 certificates/,
    },
  ])("refuses $name", async ({ files, keyMode, code, message }) => {
    const { cert, key } = await place(await files(), keyMode);
    const err = await caError(() => CertificateAuthority.loadFromFiles(cert, key));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it("names the setting whose file is missing", async () => {
    const { cert, key } = await place(await adminCa());
    const noCert = await caError(() => CertificateAuthority.loadFromFiles(`${cert}.nope`, key));
    expect(noCert.message).toBe(`registry.ca_cert_file names ${cert}.nope, which does not exist`);
    const noKey = await caError(() => CertificateAuthority.loadFromFiles(cert, `${key}.nope`));
    expect(noKey.message).toBe(`registry.ca_key_file names ${key}.nope, which does not exist`);
  });
});
