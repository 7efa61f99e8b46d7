import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogsRole } from "../logs/index.js";
import { Matcher } from "../model/matcher.js";
import type { IssuedCertificate } from "../registry/index.js";
import { HttpError } from "../server/errors.js";
import { startTestSeed } from "../test-support/seed.js";
import { encodePushRequestSnappy } from "../wire/loki/push.testlib.js";
import type { WriteForwarder } from "./forwarder.js";
import {
  type Answer,
  call,
  FakeClock,
  type Identity,
  startTestGateway,
  type TestGateway,
} from "./gateway.testlib.js";
import {
  countLogLineBytes,
  HttpLogForwarder,
  LocalLogForwarder,
  type LogForwarder,
} from "./log-forwarder.js";
import { GatewayRefusal } from "./refusal.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;

/** Metrics writes are not what these tests are about. */
const noMetrics: WriteForwarder = {
  forward: async () => ({ status: 204, body: "", headers: {} }),
};

const PUSH_HEADERS = { "content-type": "application/x-protobuf" };

let lineClock = BigInt(Date.now()) * 1_000_000n;

/** A protobuf + snappy push of `lines` to stream `{app="<app>"}`, each entry later than any sent before. */
function logs(app: string, lines: readonly string[]): Uint8Array {
  return encodePushRequestSnappy({
    streams: [
      { labels: `{app="${app}"}`, entries: lines.map((line) => ({ timestampNs: ++lineClock, line })) },
    ],
  });
}

/** The lines of stream `{app="<app>"}` that `tenant` holds, oldest first, through the logs role's querier. */
async function lines(logsRole: LogsRole, tenant: string, app: string): Promise<string[]> {
  const querier = await logsRole.querier([tenant]);
  const out: string[] = [];
  const from = lineClock - 3_600_000_000_000n;
  for await (const e of querier.select(
    [new Matcher("=", "app", app)],
    from,
    lineClock + 1n,
    "forward",
    Infinity,
  ))
    out.push(e.line);
  return out;
}

function pushTo(
  g: TestGateway,
  identity: Identity,
  body: Uint8Array,
  opts: { path?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return call(g.port, g.ca.certPem, identity, {
    method: "POST",
    path: opts.path ?? "/loki/api/v1/push",
    headers: { ...PUSH_HEADERS, ...opts.headers },
    body,
  });
}

const status = (a: Answer) => ("status" in a ? a.status : a.error);

describe("Loki pushes through the gateway to the in-process logs role", () => {
  let seed: Running;
  let g: TestGateway;
  let app: IssuedCertificate;
  let lim: IssuedCertificate;

  beforeAll(async () => {
    seed = await startTestSeed({}, "logs");
    g = await startTestGateway(
      noMetrics,
      { gateway: { max_retry_after: "5s" } },
      new FakeClock(),
      new LocalLogForwarder(seed.seed.roles.logs!),
    );
    g.registry.add("app-1");
    g.registry.add("other");
    g.registry.add("lim", { limits: { log_bytes_per_second: 100, log_bytes_burst: 100 } });
    app = await g.ca.issueClientCertificate("app-1");
    lim = await g.ca.issueClientCertificate("lim");
  });
  afterAll(async () => {
    await g?.stop();
    await seed?.stop();
  });

  it.each([
    ["/loki/api/v1/push", "a"],
    ["/api/prom/push", "b"],
  ])("%s lands in the certificate's tenant, whatever X-Scope-OrgID says", async (path, line) => {
    const r = await pushTo(g, app, logs("gw", [line]), { path, headers: { "x-scope-orgid": "other" } });
    expect(status(r)).toBe(204);
    expect(await lines(seed.seed.roles.logs!, "app-1", "gw")).toContain(line);
    expect(await lines(seed.seed.roles.logs!, "other", "gw")).toEqual([]);
  });

  it("answers 423 with Mirador-Flow: logs while the cluster's logs flow is off, and 204 once it is on", async () => {
    g.registry.update("app-1", { logsEnabled: false });
    try {
      const r = await pushTo(g, app, logs("flow", ["while off"]));
      expect(r).toMatchObject({
        status: 423,
        headers: { "mirador-flow": "logs" },
        text: expect.stringContaining("logs are switched off for cluster app-1"),
      });
      expect(r).toMatchObject({ text: expect.stringContaining("mirador cluster enable app-1 --logs") });
    } finally {
      g.registry.update("app-1", { logsEnabled: true });
    }
    expect(status(await pushTo(g, app, logs("flow", ["once on"])))).toBe(204);
    expect(await lines(seed.seed.roles.logs!, "app-1", "flow")).toEqual(["once on"]);
  });

  it("leaves the metrics flow alone: logs off does not refuse metrics, metrics off does not refuse logs", async () => {
    g.registry.update("app-1", { metricsEnabled: false });
    try {
      expect(status(await pushTo(g, app, logs("flow", ["metrics off"])))).toBe(204);
    } finally {
      g.registry.update("app-1", { metricsEnabled: true });
    }
  });

  it("charges the decoded line bytes: a push that does not fit is refused 429 whole, nothing kept", async () => {
    const eighty = "x".repeat(80);
    expect(status(await pushTo(g, lim, logs("rate", [eighty])))).toBe(204); // 20 bytes left
    const r = await pushTo(g, lim, logs("rate", ["refused-1", eighty.slice(9)]));
    expect(r).toMatchObject({
      status: 429,
      headers: { "retry-after": "1" },
      text: expect.stringContaining("cluster lim is over its limit of 100 log bytes/s (burst 100)"),
    });
    expect(r).toMatchObject({ text: expect.stringContaining("this request of 80 log bytes") });
    expect(r).toMatchObject({
      text: expect.stringContaining("mirador cluster update lim --log-bytes-per-second N"),
    });
    // The bucket is refused before the body is read once it is empty.
    expect(status(await pushTo(g, lim, logs("rate", ["y".repeat(20)])))).toBe(204);
    const empty = await pushTo(g, lim, logs("rate", ["refused-2"]));
    expect(empty).toMatchObject({ status: 429, text: expect.stringContaining("used up its budget") });
    expect(await lines(seed.seed.roles.logs!, "lim", "rate")).toEqual([eighty, "y".repeat(20)]);
    g.clock.advance(1000);
    expect(status(await pushTo(g, lim, logs("rate", ["after the wait"])))).toBe(204);
    g.clock.advance(1000);
  });

  it("refuses a body over the cluster's max_body_bytes with 413 before reading it, naming the setting", async () => {
    g.registry.update("lim", {
      limits: { log_bytes_per_second: 100, log_bytes_burst: 100, max_body_bytes: 100 },
    });
    try {
      const big = logs(
        "big",
        Array.from({ length: 20 }, (_, i) => `line ${i} of a body that is too large`),
      );
      expect(big.length).toBeGreaterThan(100);
      const r = await pushTo(g, lim, big);
      expect(r).toMatchObject({
        status: 413,
        headers: { connection: "close" },
        text: expect.stringContaining("mirador cluster update lim --max-body-bytes N"),
      });
      expect(await lines(seed.seed.roles.logs!, "lim", "big")).toEqual([]);
      // The refused body took nothing from the bucket: a full burst still fits.
      expect(status(await pushTo(g, lim, logs("big", ["z".repeat(100)])))).toBe(204);
    } finally {
      g.registry.update("lim", { limits: { log_bytes_per_second: 100, log_bytes_burst: 100 } });
      g.clock.advance(1000);
    }
  });

  it("passes a malformed body's 400 through with the decoder's message, charging nothing", async () => {
    const r = await pushTo(g, lim, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(r).toMatchObject({
      status: 400,
      text: expect.stringContaining(
        "Loki push: protobuf bodies are snappy block-compressed, and this one is not valid snappy",
      ),
    });
    const json = await pushTo(g, lim, new TextEncoder().encode("{"), {
      headers: { "content-type": "application/json" },
    });
    expect(json).toMatchObject({
      status: 400,
      text: expect.stringContaining("Loki push: body is not valid UTF-8 JSON"),
    });
    expect(status(await pushTo(g, lim, logs("after-400", ["w".repeat(100)])))).toBe(204); // bucket still full
    g.clock.advance(1000);
  });

  it("reports log bytes in the cluster's traffic and as Prometheus metrics", async () => {
    const t = g.registry.traffic("lim")!;
    // Accepted: 80 + 20, 14 ("after the wait"), 100, 100 line bytes.
    expect(t.logBytesPerSecond).toBeCloseTo(314 / 60);
    expect(t.rejected).toEqual({ log_rate_limited: 2, body_too_large: 1, ingest_refused: 2 });
    expect(t.lastPushAt).toBe(new Date(g.clock.ms - 1000).toISOString());
    const text = await g.env.metrics.metrics();
    expect(text).toContain('mirador_gateway_cluster_log_bytes_total{cluster="lim"} 314');
    expect(text).toMatch(/mirador_gateway_cluster_received_bytes_total\{cluster="lim",flow="logs"\} \d+/);
    expect(text).toContain('mirador_gateway_requests_total{tenant="lim",code="429"} 2');
    expect(text).toContain('mirador_gateway_requests_total{tenant="lim",code="400"} 2');
  });
});

describe("Loki pushes through the gateway to a logs role in another process", () => {
  let seed: Running;
  let g: TestGateway;
  let edge: IssuedCertificate;

  beforeAll(async () => {
    seed = await startTestSeed({}, "logs");
    g = await startTestGateway(
      noMetrics,
      {},
      new FakeClock(),
      new HttpLogForwarder(`${seed.url}/loki/api/v1/push`),
    );
    g.registry.add("edge-1", { limits: { log_bytes_per_second: 50, log_bytes_burst: 50 } });
    edge = await g.ca.issueClientCertificate("edge-1");
  });
  afterAll(async () => {
    await g?.stop();
    await seed?.stop();
  });

  it("sets X-Scope-OrgID to the certificate's tenant and counts the line bytes itself", async () => {
    const r = await pushTo(g, edge, logs("http", ["a".repeat(30)]), {
      headers: { "x-scope-orgid": "other" },
    });
    expect(status(r)).toBe(204);
    expect(await lines(seed.seed.roles.logs!, "edge-1", "http")).toEqual(["a".repeat(30)]);
    expect(await lines(seed.seed.roles.logs!, "other", "http")).toEqual([]);
    const over = await pushTo(g, edge, logs("http", ["b".repeat(30)]));
    expect(over).toMatchObject({
      status: 429,
      text: expect.stringContaining("this request of 30 log bytes"),
    });
    expect(await lines(seed.seed.roles.logs!, "edge-1", "http")).toEqual(["a".repeat(30)]);
    expect(g.registry.traffic("edge-1")).toMatchObject({ logBytesPerSecond: 30 / 60 });
    g.clock.advance(1000);
  });

  it("forwards a body it cannot decode uncharged, and passes the logs role's 400 on", async () => {
    const r = await pushTo(g, edge, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(r).toMatchObject({ status: 400, text: expect.stringContaining("not valid snappy") });
    expect(status(await pushTo(g, edge, logs("http", ["c".repeat(50)])))).toBe(204); // bucket still full
  });

  it("answers 503 (retry) while the logs process is unreachable", async () => {
    const lonely = await startTestGateway(
      noMetrics,
      {},
      new FakeClock(),
      new HttpLogForwarder("http://127.0.0.1:9/loki/api/v1/push"),
    );
    try {
      lonely.registry.add("edge-2");
      const cert = await lonely.ca.issueClientCertificate("edge-2");
      const r = await pushTo(lonely, cert, logs("x", ["x"]));
      expect(r).toMatchObject({ status: 503, text: expect.stringContaining("logs ingest at") });
      expect(lonely.registry.traffic("edge-2")?.rejected).toEqual({ ingest_unavailable: 1 });
    } finally {
      await lonely.stop();
    }
  });
});

describe("the gateway's logs routes without a logs ingest, and in a seed", () => {
  it("answers 503 naming gateway.logs_forward_url when the gateway has nowhere to send logs", async () => {
    const g = await startTestGateway(noMetrics);
    try {
      g.registry.add("c1");
      const r = await pushTo(g, await g.ca.issueClientCertificate("c1"), logs("x", ["x"]));
      expect(r).toMatchObject({ status: 503, text: expect.stringContaining("gateway.logs_forward_url") });
    } finally {
      await g.stop();
    }
  });

  it("sends pushes to the seed's own logs role, and shows log bytes in the cluster's status", async () => {
    const s = await startTestSeed();
    try {
      const registry = s.seed.roles.registry!;
      const service = registry.service;
      await service.createProject("demo");
      const { issued } = await service.addCluster("demo-1", { project: "demo" });
      const r = await call(s.seed.roles.gateway!.port, registry.ca.certPem, issued, {
        method: "POST",
        path: "/loki/api/v1/push",
        headers: { ...PUSH_HEADERS, "x-scope-orgid": "other" },
        body: logs("seed", ["hello from demo-1"]),
      });
      expect(status(r)).toBe(204);
      expect(await lines(s.seed.roles.logs!, "demo-1", "seed")).toEqual(["hello from demo-1"]);
      expect(await service.getStatus("demo-1")).toMatchObject({
        traffic: { logBytesPerSecond: "hello from demo-1".length / 60 },
      });
    } finally {
      await s.stop();
    }
  });
});

describe("LogForwarder results at the gateway", () => {
  it("gives the line bytes back when the logs ingest answers 429, and passes its Retry-After on", async () => {
    let answer = 429;
    const ingest: LogForwarder = {
      forward: async (_tenant, _type, _encoding, _body, admit) => {
        admit(60);
        return { status: answer, body: "slow down\n", headers: answer === 429 ? { "retry-after": "7" } : {} };
      },
    };
    const g = await startTestGateway(noMetrics, {}, new FakeClock(), ingest);
    try {
      g.registry.add("c1", { limits: { log_bytes_per_second: 100, log_bytes_burst: 100 } });
      const cert = await g.ca.issueClientCertificate("c1");
      expect(await pushTo(g, cert, logs("x", ["x"]))).toMatchObject({
        status: 429,
        headers: { "retry-after": "7" },
      });
      answer = 204;
      expect(status(await pushTo(g, cert, logs("x", ["x"])))).toBe(204); // 60 of 100 taken, not 120
      expect(g.registry.traffic("c1")).toMatchObject({
        rejected: { ingest_rate_limited: 1 },
        logBytesPerSecond: 1,
      });
    } finally {
      await g.stop();
    }
  });

  it("LocalLogForwarder turns the ingest's HttpError into a result with its headers, and rethrows refusals", async () => {
    const fwd = new LocalLogForwarder({
      receive: async () => {
        throw new HttpError("rate_limited", "tenant over its rate", { "Retry-After": "3" });
      },
    });
    expect(await fwd.forward("t", undefined, undefined, new Uint8Array(), () => {})).toEqual({
      status: 429,
      body: "tenant over its rate\n",
      headers: { "retry-after": "3" },
    });
    const refusing = new LocalLogForwarder({
      receive: async (_t, _h, _b, admit) => {
        admit?.(5);
        return { status: 204, body: "" };
      },
    });
    const refusal = new GatewayRefusal("log_rate_limited", "no");
    await expect(
      refusing.forward("t", undefined, undefined, new Uint8Array(), () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
  });
});

describe("countLogLineBytes", () => {
  it("counts lines and structured metadata names and values, over every stream", () => {
    expect(
      countLogLineBytes({
        streams: [
          {
            labels: '{a="1"}',
            entries: [{ timestampNs: 1n, line: "abc", structuredMetadata: [["k", "vv"]] }],
          },
          {
            labels: '{a="2"}',
            entries: [
              { timestampNs: 2n, line: "" },
              { timestampNs: 3n, line: "de" },
            ],
          },
        ],
      }),
    ).toBe(3 + 1 + 2 + 2);
  });
});
