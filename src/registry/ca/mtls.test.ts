// Real mutual-TLS handshakes between node:tls peers holding certificates this CA issued: the
// gateway's contract is that only a cluster certificate from the seed's CA gets through.

import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type Server, type TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { selfSignedImpostor } from "./impostor.testlib.js";
import {
  CertificateAuthority,
  clusterIdFromPeerCertificate,
  clusterIdFromTlsSocket,
  type IssuedCertificate,
} from "./index.js";

const CLUSTER = "prod-eu-1";

let root: string;
let caPem: string;
let serverCert: IssuedCertificate;
let clientCert: IssuedCertificate;
let foreignClientCert: IssuedCertificate;
let selfSignedClientCert: { certPem: string; keyPem: string };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-mtls-"));
  const ca = await CertificateAuthority.loadOrCreate(join(root, "seed"));
  const otherCa = await CertificateAuthority.loadOrCreate(join(root, "other"));
  caPem = ca.certPem;
  serverCert = await ca.issueServerCertificate(["localhost", "127.0.0.1"]);
  clientCert = await ca.issueClientCertificate(CLUSTER);
  foreignClientCert = await otherCa.issueClientCertificate(CLUSTER);
  selfSignedClientCert = await selfSignedImpostor(CLUSTER);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What the gateway side saw of one connection. */
type ServerOutcome =
  | {
      kind: "accepted";
      authorized: boolean;
      authorizationError: unknown;
      commonName: unknown;
      /** From the peer certificate alone, verified or not. */
      clusterId: string | undefined;
      /** From the socket: only when the certificate was verified. */
      verifiedClusterId: string | undefined;
      protocol: string | null;
    }
  | { kind: "refused"; error: Error };

const servers: Server[] = [];
const sockets: TLSSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/**
 * Starts a gateway-like TLS server on 127.0.0.1 and resolves with its port and its first
 * connection's outcome. `rejectUnauthorized: false` lets a test see why a certificate fails.
 */
async function startGateway({
  rejectUnauthorized = true,
} = {}): Promise<{ port: number; outcome: Promise<ServerOutcome> }> {
  let settle: (o: ServerOutcome) => void = () => {};
  const outcome = new Promise<ServerOutcome>((resolve) => {
    settle = resolve;
  });
  const server = createServer(
    {
      cert: serverCert.certPem,
      key: serverCert.keyPem,
      ca: caPem,
      requestCert: true,
      rejectUnauthorized,
      minVersion: "TLSv1.3",
    },
    (socket) => {
      sockets.push(socket);
      const peer = socket.getPeerCertificate();
      settle({
        kind: "accepted",
        authorized: socket.authorized,
        authorizationError: socket.authorizationError,
        commonName: peer.subject?.CN,
        clusterId: clusterIdFromPeerCertificate(peer),
        verifiedClusterId: clusterIdFromTlsSocket(socket),
        protocol: socket.getProtocol(),
      });
      socket.end("welcome\n");
    },
  );
  server.on("tlsClientError", (error) => settle({ kind: "refused", error }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, outcome };
}

/** Connects as an agent would and resolves, once the connection is closed, with what it received. */
function dial(
  port: number,
  identity?: { certPem: string; keyPem: string },
): Promise<{ data: string; error?: Error }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca: caPem,
      minVersion: "TLSv1.3",
      ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
    });
    sockets.push(socket);
    let data = "";
    let error: Error | undefined;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
    });
    socket.on("error", (err) => {
      error = err;
    });
    socket.on("close", () => resolve(error ? { data, error } : { data }));
  });
}

describe("mutual TLS with the CA's certificates", () => {
  it("accepts a cluster certificate over TLS 1.3 and reads the cluster id from it", async () => {
    const gateway = await startGateway();
    const client = await dial(gateway.port, clientCert);
    expect(client).toEqual({ data: "welcome\n" });
    expect(await gateway.outcome).toEqual({
      kind: "accepted",
      authorized: true,
      authorizationError: null,
      verifiedClusterId: CLUSTER,
      commonName: CLUSTER,
      clusterId: CLUSTER,
      protocol: "TLSv1.3",
    });
  });

  it.each([
    {
      name: "a certificate from another CA",
      identity: () => foreignClientCert,
      why: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    },
    {
      name: "a self-signed certificate",
      identity: () => selfSignedClientCert,
      why: "DEPTH_ZERO_SELF_SIGNED_CERT",
    },
    { name: "no certificate", identity: () => undefined, why: "UNABLE_TO_GET_ISSUER_CERT" },
    // A serving certificate from the right CA lacks clientAuth, so it cannot stand in for a cluster.
    { name: "the gateway's own serving certificate", identity: () => serverCert, why: "INVALID_PURPOSE" },
  ])("refuses a client with $name at the handshake", async ({ identity, why }) => {
    const gateway = await startGateway();
    const client = await dial(gateway.port, identity());
    expect((await gateway.outcome).kind).toBe("refused");
    expect(client.data).toBe("");

    // Why: a lenient server completes the handshake and reports what the strict one refused; even
    // there, the socket yields no cluster id.
    const lenient = await startGateway({ rejectUnauthorized: false });
    await dial(lenient.port, identity());
    expect(await lenient.outcome).toMatchObject({
      kind: "accepted",
      authorized: false,
      authorizationError: why,
      verifiedClusterId: undefined,
    });
  });
});
