import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WRITE_HEADERS, writeBody } from "../../test-support/remote-write.js";
import { startTestSeed } from "../../test-support/seed.js";

/**
 * promtool (Debian's prometheus package) queries Mirador's Prometheus API. promtool sends no
 * custom headers, so the tenant is the Basic auth username in the server URL.
 */
describe("promtool against the query API", () => {
  let s: Awaited<ReturnType<typeof startTestSeed>>;
  const t0 = Math.floor(Date.now() / 1000) - 60;

  beforeAll(async () => {
    s = await startTestSeed();
    const write = (tenant: string, series: Parameters<typeof writeBody>[0]) =>
      fetch(`${s.url}/api/v1/push`, {
        method: "POST",
        headers: { ...WRITE_HEADERS, "x-scope-orgid": tenant },
        body: writeBody(series),
      });
    const samples = (v0: number): [number, number][] =>
      [0, 15, 30, 45, 60].map((dt, i) => [(t0 + dt) * 1000, v0 + i * 30]);
    expect(
      (
        await write("team-a", [
          [{ __name__: "http_requests_total", job: "api", code: "200" }, samples(0)],
          [{ __name__: "http_requests_total", job: "api", code: "500" }, samples(1000)],
        ])
      ).status,
    ).toBe(204);
    expect(
      (await write("team-b", [[{ __name__: "http_requests_total", job: "web", code: "200" }, samples(0)]]))
        .status,
    ).toBe(204);
  });
  afterAll(() => s?.stop());

  // Asynchronous on purpose: the seed answers from this same process, so a blocking spawn would hang.
  async function promtool(...args: string[]): Promise<string> {
    const { stdout, stderr } = await promisify(execFile)("promtool", ["query", ...args], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(stderr).toBe("");
    return stdout;
  }
  const server = (tenant: string) => s.url.replace("http://", `http://${tenant}:unused@`);

  it("runs instant queries in the tenant named by the URL", async () => {
    const out = await promtool(
      "instant",
      `--time=${t0 + 60}`,
      server("team-a"),
      "sum by (code) (rate(http_requests_total[1m]))",
    );
    // 90 over 45 s of samples extrapolated to the 60 s window with Prometheus's formula, which
    // gives 1.9999999999999998 rather than 2 in float64: compare the numbers, not the text.
    const lines = out.trim().split("\n").sort();
    expect(lines.map((l) => l.replace(/ => \S+ /, " => v "))).toEqual([
      `{code="200"} => v @[${t0 + 60}]`,
      `{code="500"} => v @[${t0 + 60}]`,
    ]);
    for (const l of lines) expect(Number(l.split(" => ")[1]?.split(" ")[0])).toBeCloseTo(2, 12);
    const count = await promtool(
      "instant",
      `--time=${t0 + 60}`,
      server("team-b"),
      "count(http_requests_total)",
    );
    expect(count.trim()).toBe(`{} => 1 @[${t0 + 60}]`);
  });

  it("runs range queries", async () => {
    const out = await promtool(
      "range",
      `--start=${t0}`,
      `--end=${t0 + 60}`,
      "--step=30s",
      server("team-b"),
      "http_requests_total",
    );
    expect(out.trim()).toBe(
      `http_requests_total{code="200", job="web"} =>\n0 @[${t0}]\n60 @[${t0 + 30}]\n120 @[${t0 + 60}]`,
    );
  });

  it("lists series and label values", async () => {
    const series = await promtool("series", "--match=http_requests_total", server("team-a"));
    expect(series.trim().split("\n")).toEqual([
      '{__name__="http_requests_total", code="200", job="api"}',
      '{__name__="http_requests_total", code="500", job="api"}',
    ]);
    expect((await promtool("labels", server("team-b"), "job")).trim()).toBe("web");
  });
});
