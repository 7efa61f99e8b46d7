// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import { createPublicKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CaError } from "./errors.js";

/** Longest certificate request accepted, in characters of PEM; a P-256 request is about 500. */
export const MAX_CSR_PEM_LENGTH = 16 * 1024;

const PEM_BLOCK =
  /-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END (NEW )?CERTIFICATE REQUEST-----/g;

/**
 * The public key of a PKCS#10 certificate request (PEM, label `CERTIFICATE REQUEST`), after
 * checking that the request is one well-formed block, that its signature verifies with its own key
 * (the requester holds the private key), and that the key is ECDSA P-256. Nothing else is taken
 * from the request: subject, attributes and requested extensions are ignored. Throws a `CaError`
 * with code `BAD_CSR` for anything else; it faces the network, so it never throws another error.
 */
export async function certificateRequestKey(csrPem: string): Promise<webcrypto.CryptoKey> {
  if (typeof csrPem !== "string") throw badCsr("it is not text");
  if (csrPem.length > MAX_CSR_PEM_LENGTH) {
    throw badCsr(`it is ${csrPem.length} characters long, more than ${MAX_CSR_PEM_LENGTH}`);
  }
  const blocks = [...csrPem.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) {
    throw badCsr(
      blocks.length === 0
        ? 'no "-----BEGIN CERTIFICATE REQUEST-----" block found'
        : `it holds ${blocks.length} requests; send one`,
    );
  }
  const der = Buffer.from((blocks[0]?.[2] ?? "").replace(/\r?\n/g, ""), "base64");

  let csr: x509.Pkcs10CertificateRequest;
  let spki: Buffer;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
    spki = Buffer.from(csr.publicKey.rawData);
  } catch (err) {
    throw badCsr(`it is not a PKCS#10 request (${messageOf(err)})`, err);
  }

  let problem: string | undefined;
  try {
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== "ec") problem = `a ${key.asymmetricKeyType ?? "symmetric"} key`;
    else if (curve !== "prime256v1") problem = `an EC key on curve ${curve ?? "unknown"}`;
  } catch (err) {
    throw badCsr(`its public key cannot be read (${messageOf(err)})`, err);
  }
  if (problem !== undefined) throw badCsr(`its key must be ECDSA P-256, found ${problem}`);

  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch (err) {
    throw badCsr(`its signature cannot be checked (${messageOf(err)})`, err);
  }
  if (!verified) throw badCsr("its signature does not verify with its own public key");

  try {
    return await webcrypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, [
      "verify",
    ]);
  } catch (err) {
    throw badCsr(`its public key cannot be imported (${messageOf(err)})`, err);
  }
}

function badCsr(why: string, cause?: unknown): CaError {
  return new CaError("BAD_CSR", `bad certificate request: ${why}`, cause === undefined ? {} : { cause });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
