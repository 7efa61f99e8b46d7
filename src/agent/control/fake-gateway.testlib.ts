/**
 * Test support for the agent's control channel: a small stand-in for the seed's gateway that speaks
 * docs/api/agent-protocol.md over mutual TLS with real certificates from a throw-away CA. It
 * records every sample pushed (with the serial of the client certificate it came with), every
 * config request and heartbeat, and signs renewal requests with the CA's key.
 */
// @peculiar/x509 needs the Reflect metadata API before it loads.
import "reflect-metadata";

import { createPrivateKey, webcrypto } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { CertificateAuthority, type IssuedCertificate } from "../../registry/index.js";
import { decodeRemoteWrite, type Got } from "../remote-write/remote-write.testlib.js";
import type { HeartbeatReport } from "./protocol.js";

x509.cryptoProvider.set(webcrypto);

/** A CA in `dir`, a serving certificate for 127.0.0.1 and a client bundle for `cluster`, as files. */
export interface TestPki {
  readonly dir: string;
  readonly ca: CertificateAuthority;
  readonly server: IssuedCertificate;
  readonly client: IssuedCertificate;
  /** The agent's `tls` settings for the client bundle. */
  readonly files: { readonly cert_file: string; readonly key_file: string; readonly ca_file: string };
}

/** Creates the CA and certificates in `dir`. */
export async function createTestPki(dir: string, cluster: string): Promise<TestPki> {
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const server = await ca.issueServerCertificate(["127.0.0.1"]);
  const client = await ca.issueClientCertificate(cluster);
  const files = {
    cert_file: join(dir, "client.crt"),
    key_file: join(dir, "client.key"),
    ca_file: join(dir, "ca.crt"),
  };
  await writeFile(files.cert_file, client.certPem);
  await writeFile(files.key_file, client.keyPem, { mode: 0o600 });
  return { dir, ca, server, client, files };
}

/** The configuration the fake serves (the `GET /agent/v1/config` body without version and cluster). */
export interface FakeConfig {
  flows: { metrics: boolean; logs: boolean };
  certificate_generation: number;
  config: Record<string, unknown>;
}

/** A push as the fake saw it. */
export interface SeenPush {
  readonly serial: string;
  readonly status: number;
  readonly samples: number;
}

/** A config request as the fake saw it. */
export interface SeenConfigRequest {
  readonly ifNoneMatch: string | undefined;
  readonly wait: number;
}

/** A heartbeat with the serial of the certificate it came with. */
export type SeenHeartbeat = HeartbeatReport & { readonly connectionSerial: string };

/** Lifetime of renewed certificates. */
const RENEWED_LIFETIME_MS = 90 * 86_400_000;

/** The fake gateway. `start` it, point an agent at `pushUrl`, `close` it at the end. */
export class FakeGateway {
  /** Every sample accepted. */
  readonly got: Got[] = [];
  readonly pushes: SeenPush[] = [];
  readonly configRequests: SeenConfigRequest[] = [];
  readonly heartbeats: SeenHeartbeat[] = [];
  /** Serials of the certificates signed for renewals, in order. */
  readonly renewed: string[] = [];
  /** When set and returning a status, pushes are answered with it (nothing kept unless 2xx). */
  pushAnswer: (() => { status: number; headers?: Record<string, string> } | undefined) | undefined;
  /** Pushes are answered 423 (`Mirador-Flow: metrics`) while set, whatever the configuration says. */
  refuseMetrics = false;
  version: number;
  state: FakeConfig;
  readonly #waiters = new Set<() => void>();
  readonly #server: Server;
  #port = 0;

  private constructor(
    private readonly pki: TestPki,
    private readonly cluster: string,
    initial: { version: number; state: FakeConfig },
  ) {
    this.version = initial.version;
    this.state = initial.state;
    this.#server = createServer(
      {
        key: pki.server.keyPem,
        cert: pki.server.certPem,
        ca: pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.3",
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const socket = req.socket as TLSSocket;
          const peer = socket.getPeerCertificate();
          const serial = peer.serialNumber.toLowerCase();
          const body = Buffer.concat(chunks);
          const url = new URL(req.url ?? "/", "https://x");
          void this.#route(req.method ?? "GET", url, req.headers, body, serial, res);
        });
      },
    );
  }

  /**
   * Listens on 127.0.0.1 (`port`, 0 for any) serving the configuration `initial` (default version 1
   * with no jobs, every flow on, generation 0).
   */
  static async start(
    pki: TestPki,
    cluster: string,
    opts: { port?: number; version?: number; state?: FakeConfig } = {},
  ): Promise<FakeGateway> {
    const gw = new FakeGateway(pki, cluster, {
      version: opts.version ?? 1,
      state: opts.state ?? {
        flows: { metrics: true, logs: true },
        certificate_generation: 0,
        config: { scrape_configs: [] },
      },
    });
    await new Promise<void>((resolve) => gw.#server.listen(opts.port ?? 0, "127.0.0.1", resolve));
    gw.#port = (gw.#server.address() as AddressInfo).port;
    return gw;
  }

  get port(): number {
    return this.#port;
  }

  /** The agent's `remote_write_url`. */
  get pushUrl(): string {
    return `https://127.0.0.1:${this.#port}/api/v1/push`;
  }

  /**
   * Changes the configuration and bumps the version; unless `notify` is false, long-polls waiting
   * are answered at once (false: only a new request sees it, as when a 423 comes first).
   */
  update(change: Partial<FakeConfig>, notify = true): number {
    this.state = { ...this.state, ...change };
    this.version++;
    if (notify) for (const w of [...this.#waiters]) w();
    return this.version;
  }

  /** Samples accepted whose series has `label="value"`. */
  samplesWith(label: string, value: string): Got[] {
    return this.got.filter((g) => labelsOf(g)[label] === value);
  }

  async close(): Promise<void> {
    for (const w of [...this.#waiters]) w();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  async #route(
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    body: Buffer,
    serial: string,
    res: ServerResponse,
  ): Promise<void> {
    const route = `${method} ${url.pathname}`;
    if (route === "POST /api/v1/push") {
      if (this.refuseMetrics) {
        this.pushes.push({ serial, status: 423, samples: 0 });
        res.writeHead(423, { "mirador-flow": "metrics" }).end("metrics of this cluster are switched off");
        return;
      }
      const answer = this.pushAnswer?.();
      if (answer !== undefined && (answer.status < 200 || answer.status >= 300)) {
        this.pushes.push({ serial, status: answer.status, samples: 0 });
        res.writeHead(answer.status, answer.headers ?? {}).end("fake refusal");
        return;
      }
      const samples = decodeRemoteWrite(headers["content-type"], body, this.got);
      this.pushes.push({ serial, status: 204, samples });
      res.writeHead(204).end();
      return;
    }
    if (route === "GET /agent/v1/config") {
      const inm = headers["if-none-match"];
      const wait = Number(url.searchParams.get("wait") ?? "0");
      this.configRequests.push({ ifNoneMatch: inm, wait });
      const known = inm?.replace(/"/g, "");
      if (known !== String(this.version)) return this.#sendConfig(res);
      const timer = setTimeout(() => finish(), wait * 1000);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(finish);
        if (res.writableEnded || res.destroyed) return;
        if (known !== String(this.version)) this.#sendConfig(res);
        else res.writeHead(304, { etag: `"${this.version}"` }).end();
      };
      this.#waiters.add(finish);
      res.on("close", () => {
        clearTimeout(timer);
        this.#waiters.delete(finish);
      });
      return;
    }
    if (route === "POST /agent/v1/heartbeat") {
      this.heartbeats.push({
        ...(JSON.parse(body.toString("utf8")) as HeartbeatReport),
        connectionSerial: serial,
      });
      res.writeHead(204).end();
      return;
    }
    if (route === "POST /agent/v1/certificate") {
      try {
        const cert = await this.#sign(body.toString("utf8"));
        this.renewed.push(cert.serialNumber.toLowerCase());
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            certificate: cert.toString("pem"),
            ca: this.pki.ca.certPem,
            not_after: cert.notAfter.toISOString(),
            certificate_generation: this.state.certificate_generation,
          }),
        );
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
      return;
    }
    res.writeHead(404).end(`no route ${route}`);
  }

  #sendConfig(res: ServerResponse): void {
    res
      .writeHead(200, { "content-type": "application/json", etag: `"${this.version}"` })
      .end(JSON.stringify({ version: this.version, cluster: this.cluster, ...this.state }));
  }

  /** Signs the request's public key as a client certificate of the cluster, with the CA's key. */
  async #sign(csrPem: string): Promise<x509.X509Certificate> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error("the request's signature does not verify");
    const caCert = new x509.X509Certificate(this.pki.ca.certPem);
    const der = createPrivateKey(await readFile(join(this.pki.dir, "ca.key"), "utf8")).export({
      type: "pkcs8",
      format: "der",
    });
    const signingKey = await webcrypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    const now = Date.now();
    const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
    serial[0] = (serial[0]! & 0x7f) | 0x40;
    return x509.X509CertificateGenerator.create({
      serialNumber: serial.toString("hex"),
      subject: [{ O: ["mirador-cluster"] }, { CN: [this.cluster] }],
      issuer: caCert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + RENEWED_LIFETIME_MS),
      publicKey: csr.publicKey,
      signingKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ],
    });
  }
}

/** The labels of a received sample's series. */
export function labelsOf(g: Got): Record<string, string> {
  const parts = g.series.split("\xff");
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}
