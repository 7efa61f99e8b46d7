import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WRITE_HEADERS, writeBody } from "../../test-support/remote-write.js";
import { startTestSeed } from "../../test-support/seed.js";
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
    [{ "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request" }, "remote-write 1.0"],
  ])("answers 415 to %j", async (headers, mentions) => {
    const res = await push(writeBody([[{ __name__: "m" }, [[1, 1]]]]), headers);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain(mentions);
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

  it("refuses an out-of-order sample with 400 and keeps the newer ones", async () => {
    expect((await push(writeBody([[{ __name__: "ooo" }, [[99_000, 1]]]]))).status).toBe(204);
    const res = await push(
      writeBody([
        [{ __name__: "ooo" }, [[98_000, 5]]],
        [{ __name__: "ooo2" }, [[98_000, 5]]],
      ]),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("out of order");
    expect((await query("t1", "ooo2")).data.result).toHaveLength(1);
  });
});
