import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestDemo } from "../test-support/seed.js";

type Running = Awaited<ReturnType<typeof startTestDemo>>;
interface VectorResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** The whole slice in one process: agents → mTLS gateway → ingest → store → query API and fleet view. */
describe("mirador up (two demo clusters)", () => {
  let s: Running;
  beforeAll(async () => {
    s = await startTestDemo();
  });
  afterAll(() => s.stop());

  async function query(tenant: string, q: string): Promise<VectorResult> {
    const res = await fetch(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}`, {
      headers: { "X-Scope-OrgID": tenant },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as VectorResult;
  }

  it("shows both clusters in the fleet view once their agents have pushed", async () => {
    const clusters = await eventually(
      async () => {
        const res = await fetch(`${s.url}/api/mirador/v1/fleet`);
        const body = (await res.json()) as {
          clusters: { id: string; lastSeen: string | null; activeSeries: number }[];
        };
        return body.clusters.length === 2 &&
          body.clusters.every((c) => c.lastSeen !== null && c.activeSeries > 0)
          ? body.clusters
          : undefined;
      },
      30_000,
      "both demo clusters to report",
    );
    expect(clusters.map((c) => c.id)).toEqual(["demo-1", "demo-2"]);
  });

  it("makes up{cluster=demo-1} visible to tenant demo-1 and invisible to tenant demo-2", async () => {
    const own = await eventually(
      async () => {
        const r = await query("demo-1", 'up{cluster="demo-1"}');
        const jobs = r.data.result.map((x) => x.metric.job).sort();
        return jobs.includes("demo-workload") && jobs.includes("node") && jobs.includes("mirador-agent")
          ? r
          : undefined;
      },
      30_000,
      "demo-1's up series",
    );
    expect(own.data.result.every((x) => x.metric.cluster === "demo-1" && x.value[1] === "1")).toBe(true);
    expect((await query("demo-2", 'up{cluster="demo-1"}')).data.result).toEqual([]);
    const other = await query("demo-2", "up");
    expect(other.data.result.length).toBeGreaterThan(0);
    expect(other.data.result.every((x) => x.metric.cluster === "demo-2")).toBe(true);
  });

  it("reads several tenants as one dataset with X-Scope-OrgID a|b", async () => {
    const r = await query("demo-1|demo-2", 'count by (cluster) (up{job="node"})');
    expect(r.data.result.map((x) => x.metric.cluster).sort()).toEqual(["demo-1", "demo-2"]);
  });

  it("ships host metrics with node-exporter's names and the workload's counters", async () => {
    const mem = await query("demo-1", "node_memory_MemTotal_bytes");
    expect(Number(mem.data.result[0]?.value[1])).toBeGreaterThan(0);
    const reqs = await eventually(async () => {
      const r = await query("demo-2", 'sum by (path) (demo_http_requests_total{job="demo-workload"})');
      return r.data.result.length > 0 ? r : undefined;
    });
    expect(reqs.data.result.every((x) => x.metric.path?.startsWith("/"))).toBe(true);
  });

  it("answers range queries with rate() over the pushed counters", async () => {
    const now = Date.now() / 1000;
    const q = encodeURIComponent("sum by (cluster) (rate(mirador_agent_samples_scraped_total[1m]))");
    const res = await eventually(
      async () => {
        const r = await fetch(
          `${s.url}/api/v1/query_range?query=${q}&start=${now - 60}&end=${now + 5}&step=1`,
          { headers: { "X-Scope-OrgID": "demo-1" } },
        );
        const body = (await r.json()) as {
          data: {
            resultType: string;
            result: { metric: Record<string, string>; values: [number, string][] }[];
          };
        };
        return body.data.result[0]?.values.length ? body : undefined;
      },
      30_000,
      "a rate over two scrapes",
    );
    expect(res.data.resultType).toBe("matrix");
    expect(res.data.result[0]?.metric).toEqual({ cluster: "demo-1" });
    expect(Number(res.data.result[0]?.values.at(-1)?.[1])).toBeGreaterThan(0);
  });

  it("ships each cluster's workload logs, readable through the Loki API by that cluster's tenant only", async () => {
    const logs = async (tenant: string, q: string) => {
      const now = BigInt(Date.now()) * 1_000_000n;
      const params = new URLSearchParams({
        query: q,
        start: String(now - 600_000_000_000n),
        end: String(now + 5_000_000_000n),
        limit: "100",
      });
      const res = await fetch(`${s.url}/loki/api/v1/query_range?${params}`, {
        headers: { "X-Scope-OrgID": tenant },
      });
      expect(res.status).toBe(200);
      return (
        (await res.json()) as {
          data: { result: { stream: Record<string, string>; values: [string, string][] }[] };
        }
      ).data.result;
    };
    const got = await eventually(
      async () => {
        const r = await logs("demo-1", '{namespace="shop", container="web"} |= "request served"');
        return r.length > 0 ? r : undefined;
      },
      30_000,
      "the workload's access log in the seed",
    );
    expect(got[0]!.stream).toMatchObject({
      cluster: "demo-1",
      namespace: "shop",
      pod: "web-0",
      stream: "stdout",
    });
    expect(JSON.parse(got[0]!.values[0]![1])).toMatchObject({ msg: "request served" });
    expect(await logs("demo-2", '{cluster="demo-1"}')).toEqual([]);
  });

  it("serves health, readiness and self-metrics", async () => {
    expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${s.url}/-/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('mirador_ingest_samples_total{tenant="demo-1"}');
    expect(metrics).toContain("mirador_gateway_requests_total");
    const agent = s.demo.agents[0]!;
    const agentMetrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(agentMetrics).toMatch(/mirador_agent_remote_write_samples_sent_total\{remote="seed"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${agent.httpPort}/-/ready`)).status).toBe(200);
  });
});
