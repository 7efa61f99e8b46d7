// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createSecureContext, createServer, type Server, type TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CaError,
  CertificateAuthority,
  clusterIdFromTlsSocket,
  DEFAULT_CRL_NEXT_UPDATE_MS,
  type IssuedCertificate,
} from "./index.js";

let root: string;
let ca: CertificateAuthority;
let serverCert: IssuedCertificate;
let revoked: IssuedCertificate;
let kept: IssuedCertificate;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-crl-"));
  ca = await CertificateAuthority.loadOrCreate(join(root, "ca"), { now: () => now });
  serverCert = await ca.issueServerCertificate(["localhost", "127.0.0.1"]);
  revoked = await ca.issueClientCertificate("gone");
  kept = await ca.issueClientCertificate("stays");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Reads a CRL back from the PEM `issueCrl` returned. */
function parse(pem: string): x509.X509Crl {
  const base64 = pem.replace(/-----(BEGIN|END) X509 CRL-----/g, "").replace(/\s+/g, "");
  return new x509.X509Crl(Buffer.from(base64, "base64"));
}

describe("CertificateAuthority.issueCrl", () => {
  it("signs a v2 CRL that names its issuer's key, in PEM that Node's tls reads", async () => {
    const revokedAt = new Date(now.getTime() - 60_000);
    const pem = await ca.issueCrl([
      { serial: revoked.serialNumber, revokedAt, reason: "cessationOfOperation" },
      { serial: kept.serialNumber.toUpperCase(), revokedAt, reason: "unspecified" },
    ]);
    expect(pem).toMatch(/^-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]+-----END X509 CRL-----\n$/);
    expect(() => createSecureContext({ crl: pem })).not.toThrow();

    const crl = parse(pem);
    expect(crl.version).toBe(1); // v2 is encoded as 1
    expect(crl.issuer).toBe(new X509Certificate(ca.certPem).subject.split("\n").join(", "));
    expect(await crl.verify({ publicKey: new x509.X509Certificate(ca.certPem) })).toBe(true);
    expect(crl.thisUpdate).toEqual(now);
    expect(crl.nextUpdate).toEqual(new Date(now.getTime() + DEFAULT_CRL_NEXT_UPDATE_MS));
    const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    expect(crl.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(caKeyId);
    expect(crl.getExtension("2.5.29.20")).not.toBeNull(); // cRLNumber

    expect(crl.entries.map((e) => [e.serialNumber.toLowerCase(), e.revocationDate, e.reason])).toEqual([
      [revoked.serialNumber, new Date(Math.floor(revokedAt.getTime() / 1000) * 1000), 5],
      [kept.serialNumber, new Date(Math.floor(revokedAt.getTime() / 1000) * 1000), undefined],
    ]);
  });

  it("issues an empty CRL and honours nextUpdateMs", async () => {
    const pem = await ca.issueCrl([], { nextUpdateMs: 3_600_000 });
    expect(() => createSecureContext({ crl: pem })).not.toThrow();
    expect(parse(pem).entries).toEqual([]);
    expect(parse(pem).nextUpdate).toEqual(new Date(now.getTime() + 3_600_000));
  });

  it.each([
    { entries: [{ serial: "zz", revokedAt: now }], opts: {}, code: "BAD_SERIAL" },
    { entries: [{ serial: "", revokedAt: now }], opts: {}, code: "BAD_SERIAL" },
    { entries: [], opts: { nextUpdateMs: 0 }, code: "BAD_LIFETIME" },
  ])("refuses $entries / $opts with $code", async ({ entries, opts, code }) => {
    await expect(ca.issueCrl(entries, opts)).rejects.toSatisfy(
      (err) => err instanceof CaError && err.code === code,
    );
  });
});

describe("mutual TLS with a CRL", () => {
  const servers: Server[] = [];
  const sockets: TLSSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  /** A gateway-like server that checks client certificates against the CA and `crl`. */
  async function gateway(crl: string): Promise<{ server: Server; port: number }> {
    const server = createServer(
      {
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        ca: ca.certPem,
        crl,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.3",
      },
      (socket) => {
        sockets.push(socket);
        socket.end(`hello ${clusterIdFromTlsSocket(socket)}\n`);
      },
    );
    server.on("tlsClientError", () => {});
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, port: (server.address() as AddressInfo).port };
  }

  /** What a client holding `identity` receives before the connection closes. */
  function dial(port: number, identity: IssuedCertificate): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({
        host: "127.0.0.1",
        port,
        ca: ca.certPem,
        cert: identity.certPem,
        key: identity.keyPem,
        minVersion: "TLSv1.3",
      });
      sockets.push(socket);
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        data += chunk;
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(data));
    });
  }

  it("refuses a revoked certificate at the handshake and lets the others in; a new CRL applies live", async () => {
    const crl = await ca.issueCrl([
      { serial: revoked.serialNumber, revokedAt: now, reason: "keyCompromise" },
    ]);
    const { server, port } = await gateway(crl);
    expect(await dial(port, kept)).toBe("hello stays\n");
    expect(await dial(port, revoked)).toBe("");

    // Revoking the other one instead, without restarting the server.
    server.setSecureContext({
      cert: serverCert.certPem,
      key: serverCert.keyPem,
      ca: ca.certPem,
      crl: await ca.issueCrl([{ serial: kept.serialNumber, revokedAt: now }]),
      minVersion: "TLSv1.3",
    });
    expect(await dial(port, revoked)).toBe("hello gone\n");
    expect(await dial(port, kept)).toBe("");
  });
});
