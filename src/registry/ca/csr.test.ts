// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import { createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CaError,
  type CaErrorCode,
  CertificateAuthority,
  CLOCK_SKEW_MS,
  MAX_CSR_PEM_LENGTH,
} from "./index.js";

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** A PKCS#10 request (PEM) for a new key made with `algorithm`, naming `subject`. */
async function request(
  subject = "CN=someone-else, O=mirador-cluster",
  algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams = P256,
): Promise<{ pem: string; keys: webcrypto.CryptoKeyPair }> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm = algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : algorithm;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm });
  return { pem: csr.toString("pem"), keys };
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

let root: string;
let ca: CertificateAuthority;
let valid: { pem: string; keys: webcrypto.CryptoKeyPair };
// Whole seconds, as certificates store them.
const now = new Date(Math.floor(Date.now() / 1000) * 1000);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-csr-"));
  ca = await CertificateAuthority.loadOrCreate(join(root, "ca"), { now: () => now });
  valid = await request();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("CertificateAuthority.signRequest", () => {
  it("signs the request's key as a client certificate naming the cluster, not the request's subject", async () => {
    const signed = await ca.signRequest(valid.pem, "prod-eu-1", { lifetimeMs: 86_400_000 });
    const cert = new X509Certificate(signed.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.subject).toBe("O=mirador-cluster\nCN=prod-eu-1");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(cert.ca).toBe(false);
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", valid.keys.privateKey));
    expect(cert.checkPrivateKey(createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }))).toBe(true);
    expect(new Date(cert.validFrom)).toEqual(new Date(now.getTime() - CLOCK_SKEW_MS));
    expect(signed.notAfter).toEqual(new Date(now.getTime() + 86_400_000));
    expect(signed.serialNumber).toBe(cert.serialNumber.toLowerCase());
  });

  it("takes a request with CRLF line ends and the old NEW CERTIFICATE REQUEST label", async () => {
    const pem = valid.pem
      .replace(/\n/g, "\r\n")
      .replace(/CERTIFICATE REQUEST-----/g, "NEW CERTIFICATE REQUEST-----");
    expect((await ca.signRequest(pem, "c1")).certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  const tampered = () => {
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(valid.pem).rawData);
    der[der.length - 5]! ^= 0x01; // inside the signature
    return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  };

  it.each<{ name: string; pem: () => Promise<string> | string; code: CaErrorCode; message: RegExp }>([
    {
      name: "no PEM block",
      pem: () => "hello",
      code: "BAD_CSR",
      message: /no "-----BEGIN CERTIFICATE REQUEST/,
    },
    { name: "two requests", pem: () => valid.pem + valid.pem, code: "BAD_CSR", message: /holds 2 requests/ },
    {
      name: "an oversized request",
      pem: () => `${valid.pem}${" ".repeat(MAX_CSR_PEM_LENGTH)}`,
      code: "BAD_CSR",
      message: /more than 16384/,
    },
    {
      name: "a certificate instead of a request",
      pem: () => ca.certPem.replace(/CERTIFICATE-----/g, "CERTIFICATE REQUEST-----"),
      code: "BAD_CSR",
      message: /not a PKCS#10 request/,
    },
    { name: "a bad signature", pem: tampered, code: "BAD_CSR", message: /signature does not verify/ },
    {
      name: "a P-384 key",
      pem: async () => (await request("CN=x", { name: "ECDSA", namedCurve: "P-384" })).pem,
      code: "BAD_CSR",
      message: /must be ECDSA P-256, found an EC key on curve secp384r1/,
    },
    {
      name: "an RSA key",
      pem: async () =>
        (
          await request("CN=x", {
            name: "RSASSA-PKCS1-v1_5",
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: "SHA-256",
          })
        ).pem,
      code: "BAD_CSR",
      message: /must be ECDSA P-256, found a rsa key/,
    },
  ])("refuses $name", async ({ pem, code, message }) => {
    const text = await pem();
    const err = await caError(() => ca.signRequest(text, "c1"));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it("refuses a bad cluster id before reading the request", async () => {
    expect((await caError(() => ca.signRequest("garbage", "a/b"))).code).toBe("BAD_CLUSTER_ID");
  });

  // The request arrives from the network: whatever the bytes, the answer is a certificate or a CaError.
  it("never throws anything but a CaError on random or mutated requests", async () => {
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(valid.pem).rawData);
    const wrap = (bytes: Uint8Array) =>
      `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(bytes).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    const mutated = fc
      .array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((edits) => {
        const copy = Buffer.from(der);
        for (const [at, value] of edits) copy[at] = value;
        return wrap(copy);
      });
    const truncated = fc.nat(der.length).map((n) => wrap(der.subarray(0, n)));
    const random = fc.uint8Array({ maxLength: 600 }).map(wrap);
    const text = fc.string({ maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, truncated, random, text), async (pem) => {
        try {
          await ca.signRequest(pem, "fuzz");
        } catch (err) {
          if (!(err instanceof CaError) || err.code !== "BAD_CSR") throw err;
        }
      }),
      { numRuns: 400 },
    );
  });
});
