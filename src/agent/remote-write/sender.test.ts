import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nopLogger } from "../../lib/log/logger.js";
import { Labels } from "../../model/labels.js";
import { CertificateAuthority } from "../../registry/index.js";
import { eventually } from "../../test-support/seed.js";
import { decodeWriteRequestV1 } from "../../wire/remote-write/v1.js";
import { snappyDecompress } from "../../wire/snappy.js";
import { RemoteWriteSender } from "./sender.js";

interface Received {
  cn: string;
  samples: [string, number, number][];
}

/** A TLS 1.3 remote-write endpoint that answers with scripted statuses and records what it got. */
describe("RemoteWriteSender", () => {
  let server: Server;
  let url: string;
  let tls: { cert: string; key: string; ca: string };
  let script: number[] = [];
  const received: Received[] = [];

  beforeAll(async () => {
    const ca = await CertificateAuthority.loadOrCreate(mkdtempSync(join(tmpdir(), "mirador-sender-ca-")));
    const serving = await ca.issueServerCertificate(["127.0.0.1"]);
    const client = await ca.issueClientCertificate("edge-1");
    tls = { cert: client.certPem, key: client.keyPem, ca: ca.certPem };
    server = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.3",
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const status = script.shift() ?? 204;
          if (status === 204) {
            const wr = decodeWriteRequestV1(snappyDecompress(Buffer.concat(chunks), 1 << 20));
            const samples = wr.timeseries.flatMap((ts) =>
              ts.samples.map((s): [string, number, number] => [
                ts.labels.map((l) => `${l.name}=${l.value}`).join(","),
                s.timestamp,
                s.value,
              ]),
            );
            const cn = (req.socket as TLSSocket).getPeerCertificate().subject.CN;
            received.push({ cn: Array.isArray(cn) ? cn.join() : (cn ?? ""), samples });
          }
          res
            .writeHead(status, status === 503 || status === 429 ? { "retry-after": "0" } : {})
            .end(status >= 400 ? "scripted refusal" : "");
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/push`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function sender(metrics = new Registry()) {
    const s = new RemoteWriteSender({
      url,
      tls,
      batchMaxSamples: 2,
      maxBackoffMs: 50,
      timeoutMs: 5_000,
      maxQueuedSamples: 100,
      logger: nopLogger,
      metrics,
      userAgent: "test",
    });
    s.start();
    return { s, metrics };
  }
  const up = (job: string) => Labels.fromRecord({ __name__: "up", job });
  const metric = async (r: Registry, name: string) =>
    (await r.getSingleMetricAsString(name)).split("\n").filter((l) => !l.startsWith("#"));

  it("delivers in batches over mTLS with its certificate, retrying 503 and 429", async () => {
    received.length = 0;
    script = [503, 429];
    const { s, metrics } = sender();
    s.enqueue(up("a"), 1000, 1);
    s.enqueue(up("b"), 1000, 0);
    s.enqueue(up("a"), 2000, 1);
    s.flush();
    await eventually(async () => (s.queued === 0 ? true : undefined));
    await s.stop(1_000);
    expect(received.map((r) => r.cn)).toEqual(["edge-1", "edge-1"]);
    expect(received.flatMap((r) => r.samples)).toEqual([
      ["__name__=up,job=a", 1000, 1],
      ["__name__=up,job=b", 1000, 0],
      ["__name__=up,job=a", 2000, 1],
    ]);
    expect(await metric(metrics, "mirador_agent_send_retries_total")).toEqual([
      'mirador_agent_send_retries_total{reason="http_503"} 1',
      'mirador_agent_send_retries_total{reason="http_429"} 1',
    ]);
    expect(await metric(metrics, "mirador_agent_samples_sent_total")).toEqual([
      "mirador_agent_samples_sent_total 3",
    ]);
  });

  it("drops and counts a batch the seed refuses with a 4xx other than 429, then goes on", async () => {
    received.length = 0;
    script = [400];
    const { s, metrics } = sender();
    s.enqueue(up("bad"), 1000, 1);
    s.enqueue(up("bad"), 2000, 1);
    s.enqueue(up("good"), 3000, 1);
    s.flush();
    await eventually(async () => (s.queued === 0 ? true : undefined));
    await s.stop(1_000);
    expect(received.flatMap((r) => r.samples)).toEqual([["__name__=up,job=good", 3000, 1]]);
    expect(await metric(metrics, "mirador_agent_samples_dropped_total")).toEqual([
      'mirador_agent_samples_dropped_total{reason="http_400"} 2',
    ]);
  });

  it("sends what is queued when it stops", async () => {
    received.length = 0;
    script = [];
    const { s } = sender();
    for (let t = 1; t <= 5; t++) s.enqueue(up("x"), t * 1000, t);
    await s.stop(5_000);
    expect(received.flatMap((r) => r.samples).map(([, t]) => t)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it("drops the oldest samples when the queue is full, counting them", async () => {
    const metrics = new Registry();
    const s = new RemoteWriteSender({
      url,
      tls,
      batchMaxSamples: 10,
      maxBackoffMs: 50,
      timeoutMs: 5_000,
      maxQueuedSamples: 3,
      logger: nopLogger,
      metrics,
      userAgent: "test",
    });
    for (let t = 1; t <= 5; t++) s.enqueue(up("q"), t, t);
    expect(s.queued).toBe(3);
    expect(await metric(metrics, "mirador_agent_samples_dropped_total")).toEqual([
      'mirador_agent_samples_dropped_total{reason="queue_full"} 2',
    ]);
  });
});
