import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WRITE_HEADERS, writeBody } from "../../test-support/remote-write.js";
import { startTestSeed } from "../../test-support/seed.js";

interface Answer {
  status: string;
  data?: { result?: unknown[] } | unknown[];
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/**
 * The per-tenant read limits over HTTP: each refusal has Prometheus's status and `errorType` and
 * names the limit and the setting that changes it; `limit` parameters truncate with a warning.
 */
describe("per-tenant read limits", () => {
  let s: Awaited<ReturnType<typeof startTestSeed>>;
  const t0 = Math.floor(Date.now() / 1000) - 600;

  beforeAll(async () => {
    s = await startTestSeed(
      {
        metrics: {
          limits: { max_series_per_query: 3 },
          tenant_limits: {
            tiny: { max_samples_per_query: 10 },
            slow: { query_timeout: "1ms" },
            wide: { max_series_per_query: 0 },
          },
        },
      },
      "metrics",
    );
    // 5 series of 20 samples 15 s apart, in each tenant.
    const series = Array.from({ length: 5 }, (_, i): [Record<string, string>, [number, number][]] => [
      { __name__: "m", i: String(i), job: "j", zone: "z" },
      Array.from({ length: 20 }, (_, k): [number, number] => [(t0 + 15 * k) * 1000, k]),
    ]);
    // And 300 series of `many`: the engine reads its clock every so many series, so a query must
    // have a few hundred for a 1 ms timeout to be seen.
    const many = Array.from({ length: 300 }, (_, i): [Record<string, string>, [number, number][]] => [
      { __name__: "many", i: String(i) },
      Array.from({ length: 20 }, (_, k): [number, number] => [(t0 + 15 * k) * 1000, k]),
    ]);
    for (const tenant of ["t", "tiny", "slow", "wide"]) {
      const res = await fetch(`${s.url}/api/v1/push`, {
        method: "POST",
        headers: { ...WRITE_HEADERS, "x-scope-orgid": tenant },
        body: writeBody(tenant === "t" || tenant === "slow" ? [...series, ...many] : series),
      });
      expect(res.status).toBe(204);
    }
  });
  afterAll(() => s?.stop());

  async function get(tenant: string, path: string): Promise<{ status: number; body: Answer }> {
    const res = await fetch(`${s.url}${path}`, { headers: { "x-scope-orgid": tenant } });
    return { status: res.status, body: (await res.json()) as Answer };
  }
  const at = t0 + 300;
  const query = (tenant: string, q: string, extra = "") =>
    get(tenant, `/api/v1/query?query=${encodeURIComponent(q)}&time=${at}${extra}`);
  const series = (body: Answer) => (body.data as { result: unknown[] }).result.length;

  it("refuses a query result of more series than max_series_per_query with 422", async () => {
    const r = await query("t", "m");
    expect(r.status).toBe(422);
    expect(r.body.errorType).toBe("execution");
    expect(r.body.error).toBe(
      "the query's result has more than 3 series, the limit of metrics.limits.max_series_per_query " +
        "(or metrics.tenant_limits.t.max_series_per_query); select fewer series (more label matchers, " +
        "an aggregation, a shorter range) or raise that setting",
    );
    const range = await get("t", `/api/v1/query_range?query=m&start=${t0}&end=${at}&step=60`);
    expect(range.status).toBe(422);
    expect(range.body.error).toContain("max_series_per_query");
    // Within the limit, and for a tenant without one.
    expect(series((await query("t", "topk(3, m)")).body)).toBe(3);
    expect(series((await query("wide", "m")).body)).toBe(5);
  });

  it("truncates a query result to the limit parameter, with Prometheus's warning", async () => {
    const r = await query("t", "m", "&limit=2");
    expect(r.status).toBe(200);
    expect(series(r.body)).toBe(2);
    expect(r.body.warnings).toEqual(["results truncated due to limit"]);
    const range = await get("t", `/api/v1/query_range?query=m&start=${t0}&end=${at}&step=60&limit=3`);
    expect(range.status).toBe(200);
    expect(series(range.body)).toBe(3);
    expect(range.body.warnings).toEqual(["results truncated due to limit"]);
    expect((await query("wide", "m", "&limit=5")).body.warnings).toBeUndefined();
  });

  it("reads several tenants under the strictest of their limits", async () => {
    const r = await query("wide|t", 'count by (i) ({__name__="m"})');
    expect(r.status).toBe(422);
    expect(r.body.error).toContain("metrics.tenant_limits.t.max_series_per_query");
  });

  it("applies max_series_per_query to /series, /labels and /label/<name>/values", async () => {
    const refused = [
      ["/api/v1/series?match[]=m", "/api/v1/series has more than 3 series"],
      ["/api/v1/labels", "/api/v1/labels has more than 3 label names"],
      ["/api/v1/label/i/values", "/api/v1/label/i/values has more than 3 values"],
    ];
    for (const [path, message] of refused) {
      const r = await get("t", path!);
      expect(r.status, path).toBe(422);
      expect(r.body.errorType).toBe("execution");
      expect(r.body.error).toContain(message);
      expect(r.body.error).toContain(
        "metrics.limits.max_series_per_query (or metrics.tenant_limits.t.max_series_per_query)",
      );
      // A limit parameter under the setting truncates instead.
      const limited = await get("t", `${path}${path!.includes("?") ? "&" : "?"}limit=2`);
      expect(limited.status, path).toBe(200);
      expect((limited.body.data as unknown[]).length).toBe(2);
      expect(limited.body.warnings).toEqual(["results truncated due to limit"]);
      expect((await get("wide", path!)).status).toBe(200);
    }
  });

  it("refuses a query that loads more than max_samples_per_query with 422 naming the tenant's setting", async () => {
    const r = await query("tiny", 'm{i="0"}[10m]');
    expect(r.status).toBe(422);
    expect(r.body.errorType).toBe("execution");
    expect(r.body.error).toBe(
      "query processing would load too many samples into memory in query execution (limit: 10 samples); " +
        "narrow the query (fewer series, a shorter range or a larger step) or raise metrics.tenant_limits.tiny.max_samples_per_query",
    );
    expect((await query("t", 'm{i="0"}[10m]')).status).toBe(200);
  });

  it("stops a query past query_timeout with 503 naming the setting, or the request's timeout", async () => {
    const slow = "sum(many)";
    const range = (tenant: string, extra = "") =>
      get(
        tenant,
        `/api/v1/query_range?query=${encodeURIComponent(slow)}&start=${t0}&end=${at}&step=1${extra}`,
      );
    const r = await range("slow");
    expect(r.status).toBe(503);
    expect(r.body.errorType).toBe("timeout");
    expect(r.body.error).toBe(
      "query timed out in expression evaluation after 1ms; raise metrics.tenant_limits.slow.query_timeout",
    );
    const asked = await range("t", "&timeout=1ms");
    expect(asked.status).toBe(503);
    expect(asked.body.error).toBe(
      'query timed out in expression evaluation after 1ms; raise the request\'s "timeout" parameter',
    );
    expect((await range("t")).status).toBe(200);
  });
});
