/**
 * A new key pair and its PKCS#10 certificate request, for renewing the agent's certificate. Loaded
 * with a dynamic import only when a renewal is due: @peculiar/x509 and its ASN.1 schemas are not
 * needed for anything else the agent does.
 */
// @peculiar/x509 declares its ASN.1 schemas with decorators that use the Reflect metadata API;
// reflect-metadata installs that API and must be evaluated before @peculiar/x509 is loaded.
import "reflect-metadata";

import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** A private key (PKCS#8 PEM) and a certificate request for it (PKCS#10 PEM). */
export interface KeyAndRequest {
  readonly keyPem: string;
  readonly csrPem: string;
}

/**
 * Generates an ECDSA P-256 key and a request signed with it, subject `CN=<cluster>,
 * O=mirador-cluster` (the seed ignores the subject and names the cluster of the connection).
 */
export async function newKeyAndRequest(cluster: string): Promise<KeyAndRequest> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ O: ["mirador-cluster"] }, { CN: [cluster] }],
    keys,
    signingAlgorithm: ECDSA_SHA256,
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`,
    csrPem: `${csr.toString("pem").replace(/\r\n/g, "\n").trimEnd()}\n`,
  };
}
