// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CLUSTER_ORGANIZATION } from "./index.js";

/** A self-signed certificate that claims to be `clusterId`'s, exactly as the CA would name it. */
export async function selfSignedImpostor(clusterId: string): Promise<{ certPem: string; keyPem: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256" } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ O: [CLUSTER_ORGANIZATION] }, { CN: [clusterId] }],
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ],
    },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  return {
    certPem: cert.toString("pem"),
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`,
  };
}
