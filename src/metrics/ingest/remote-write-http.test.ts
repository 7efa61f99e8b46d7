import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WRITE_HEADERS, writeBody } from "../../test-support/remote-write.js";
import { startTestSeed } from "../../test-support/seed.js";
import { encodeRequestV2, type TimeSeriesV2 } from "../../wire/remote-write/v2.js";
import { snappyCompress } from "../../wire/snappy.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;

describe("remote-write receiver over HTTP", () => {
  let s: Running;
  beforeAll(async () => {
    s = await startTestSeed({ metrics: { max_write_body_bytes: 4096, max_write_decompressed_bytes: 65536 } });
  });
  afterAll(() => s.stop());

  const push = (body: Uint8Array | string, headers: Record<string, string> = {}, path = "/api/v1/push") =>
    fetch(`${s.url}${path}`, {
      method: "POST",
      headers: { ...WRITE_HEADERS, "x-scope-orgid": "t1", ...headers },
      body,
    });

  async function query(tenant: string, q: string) {
    const res = await fetch(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}&time=100`, {
      headers: { "x-scope-orgid": tenant },
    });
    return (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
  }

  it("accepts a valid write with 204 on both paths and makes it queryable", async () => {
    expect((await push(writeBody([[{ __name__: "m1", job: "a" }, [[99_000, 1]]]]))).status).toBe(204);
    expect(
      (await push(writeBody([[{ __name__: "m1", job: "b" }, [[99_000, 2]]]]), {}, "/api/v1/write")).status,
    ).toBe(204);
    const r = await query("t1", "m1");
    expect(r.data.result.map((x) => [x.metric.job, x.value[1]])).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
  });

  it.each([
    [{ "content-type": "application/json" }, "Content-Type"],
    [{ "content-type": "image/png" }, "Content-Type"],
    [{ "content-encoding": "gzip" }, "Content-Encoding"],
    [{ "content-encoding": "deflate" }, "Content-Encoding"],
    [{ "content-type": "application/x-protobuf;proto=io.prometheus.write.v3.Request" }, "(2.0)"],
  ])("answers 415 to %j", async (headers, mentions) => {
    const res = await push(writeBody([[{ __name__: "m" }, [[1, 1]]]]), headers);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain(mentions);
  });

  it("accepts remote-write 2.0 with the written-count headers, and refuses a corrupt 2.0 body with 400", async () => {
    const v2 = (series: TimeSeriesV2[]) => snappyCompress(encodeRequestV2({ timeseries: series }));
    const ts = (labels: Record<string, string>, samples: [number, number][]): TimeSeriesV2 => ({
      labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
      samples: samples.map(([timestamp, value]) => ({ timestamp, value, startTimestamp: 0 })),
      histograms: [],
      exemplars: [],
      metadata: { type: 0, help: "", unit: "" },
    });
    const headers = { "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request" };
    const res = await push(
      v2([
        ts({ __name__: "v2m", job: "a" }, [
          [98_000, 1],
          [99_000, 2],
        ]),
        ts({ __name__: "v2m", job: "b" }, [[99_000, 3]]),
      ]),
      headers,
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("x-prometheus-remote-write-samples-written")).toBe("3");
    expect(res.headers.get("x-prometheus-remote-write-histograms-written")).toBe("0");
    expect((await query("t1", "v2m")).data.result.map((x) => [x.metric.job, x.value[1]])).toEqual([
      ["a", "2"],
      ["b", "3"],
    ]);
    const refused = await push(
      v2([ts({ job: "nameless" }, [[99_000, 1]]), ts({ __name__: "v2k" }, [[99_000, 4]])]),
      headers,
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get("x-prometheus-remote-write-samples-written")).toBe("1");
    const corrupt = await push(snappyCompress(Uint8Array.of(0x0a, 0x05, 0x61)), headers);
    expect(corrupt.status).toBe(400);
    expect(await corrupt.text()).toContain("corrupt remote-write 2.0 body");
  });

  it("answers 400 to a corrupt body: bad snappy, and valid snappy around bad protobuf", async () => {
    const badSnappy = await push(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]));
    expect(badSnappy.status).toBe(400);
    const badProto = await push(snappyCompress(new Uint8Array([0x0a, 0xff, 0x01, 0x02])));
    expect(badProto.status).toBe(400);
    expect(await badProto.text()).toContain("corrupt");
  });

  it("answers 413 naming the setting when the body or its decompressed size is too large", async () => {
    const big = await push(new Uint8Array(5000));
    expect(big.status).toBe(413);
    expect(await big.text()).toContain("metrics.max_write_body_bytes");
    // A snappy preamble that claims 1 GiB: refused before anything is expanded.
    const bomb = await push(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]));
    expect(bomb.status).toBe(413);
    expect(await bomb.text()).toContain("metrics.max_write_decompressed_bytes");
  });

  it("answers 401 without a tenant and 400 for several tenants on a write", async () => {
    const body = writeBody([[{ __name__: "m" }, [[1, 1]]]]);
    const none = await fetch(`${s.url}/api/v1/push`, { method: "POST", headers: WRITE_HEADERS, body });
    expect(none.status).toBe(401);
    expect((await push(body, { "x-scope-orgid": "a|b" })).status).toBe(400);
  });

  it("keeps valid series and answers 400 for a series without a name or with repeated labels", async () => {
    const body = writeBody([
      [{ job: "nameless" }, [[99_000, 1]]],
      [{ __name__: "kept", job: "x" }, [[99_000, 7]]],
    ]);
    const res = await push(body);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("no metric name");
    expect((await query("t1", "kept")).data.result.map((x) => x.value[1])).toEqual(["7"]);
  });

  it("accepts a late sample inside the out-of-order window, refuses one beyond it with 400 and keeps the rest", async () => {
    expect((await push(writeBody([[{ __name__: "ooo" }, [[800_000, 1]]]]))).status).toBe(204);
    // 10 s late: inside the default 10 m window.
    expect((await push(writeBody([[{ __name__: "ooo" }, [[790_000, 2]]]]))).status).toBe(204);
    const res = await push(
      writeBody([
        [{ __name__: "ooo" }, [[98_000, 5]]],
        [{ __name__: "ooo2" }, [[98_000, 5]]],
      ]),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("beyond the out-of-order window of 600000 ms");
    expect((await query("t1", "ooo2")).data.result).toHaveLength(1);
    const range = await fetch(`${s.url}/api/v1/query?query=ooo[1h]&time=1000`, {
      headers: { "x-scope-orgid": "t1" },
    });
    const values = ((await range.json()) as { data: { result: { values: [number, string][] }[] } }).data
      .result[0]?.values;
    expect(values).toEqual([
      [790, "2"],
      [800, "1"],
    ]);
  });
});

describe("per-tenant ingest limits over HTTP", () => {
  let s: Running;
  beforeAll(async () => {
    s = await startTestSeed({
      metrics: {
        limits: {
          max_label_value_length: 16,
          max_active_series: 3,
          ingestion_rate: 10,
          ingestion_burst_size: 20,
        },
        tenant_limits: { roomy: { max_active_series: 0, ingestion_rate: 0 } },
      },
    });
  });
  afterAll(() => s.stop());

  const push = (tenant: string, series: Parameters<typeof writeBody>[0]) =>
    fetch(`${s.url}/api/v1/push`, {
      method: "POST",
      headers: { ...WRITE_HEADERS, "x-scope-orgid": tenant },
      body: writeBody(series),
    });

  it("refuses a series whose label value is too long with 400 naming the setting, keeping the rest", async () => {
    const res = await push("labels", [
      [{ __name__: "ok", a: "short" }, [[1000, 1]]],
      [{ __name__: "long", a: "x".repeat(17) }, [[1000, 1]]],
    ]);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("metrics.limits.max_label_value_length");
  });

  it("refuses new series past max_active_series with 400, and not in a tenant whose override lifts it", async () => {
    const series = (n: number): Parameters<typeof writeBody>[0] =>
      Array.from({ length: n }, (_, i) => [{ __name__: "s", i: String(i) }, [[1000, 1]]]);
    const res = await push("series", series(5));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("2 samples refused, 3 written");
    expect(text).toContain("limit of 3 active series");
    expect((await push("roomy", series(5))).status).toBe(204);
  });

  it("answers 429 with Retry-After past the ingestion rate, and 413 for a request larger than the burst", async () => {
    const one = (t: number): Parameters<typeof writeBody>[0] =>
      Array.from({ length: 10 }, (_, i) => [{ __name__: "r", i: String(i % 3) }, [[t + i, 1]]]);
    expect((await push("rate", one(1000))).status).not.toBe(429);
    expect((await push("rate", one(2000))).status).not.toBe(429);
    const limited = await push("rate", one(3000));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.text()).toContain("metrics.limits.ingestion_rate");
    const huge = await push(
      "burst",
      Array.from({ length: 21 }, (_, i) => [{ __name__: "b" }, [[i + 1, 1]]]),
    );
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain("ingestion_burst_size");
  });
});
