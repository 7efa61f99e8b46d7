import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Peer, startPeer } from "../../test-support/processes.js";
import { eventually, startTestSeed } from "../../test-support/seed.js";

type Running = Awaited<ReturnType<typeof startTestSeed>>;
interface Vector {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/**
 * Real senders from Debian's packages — Prometheus and vmagent — scrape a real node-exporter and
 * remote-write to Mirador, each into its own tenant. What Mirador then answers must match what
 * Prometheus itself stored.
 */
describe("remote-write from Prometheus and vmagent", () => {
  let seed: Running;
  const peers: Peer[] = [];
  let promPort: number;
  let nodePort: number;

  beforeAll(async () => {
    seed = await startTestSeed();
    const dir = mkdtempSync(join(tmpdir(), "mirador-interop-"));
    nodePort = await freePort();
    peers.push(
      startPeer("prometheus-node-exporter", [
        `--web.listen-address=127.0.0.1:${nodePort}`,
        "--collector.disable-defaults",
        "--collector.cpu",
        "--collector.meminfo",
        "--collector.loadavg",
      ]),
    );
    promPort = await freePort();
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:
  scrape_interval: 1s
  external_labels: { sender: prometheus }
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ["127.0.0.1:${nodePort}"] }]
remote_write:
  - url: ${seed.url}/api/v1/write
    # Debian's Prometheus 2.42 never sends remote_write.headers (prometheus/prometheus#13030),
    # so the tenant travels as the Basic auth username.
    basic_auth: { username: prom, password: unused }
    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }
    metadata_config: { send_interval: 1s }
`,
    );
    peers.push(
      startPeer("prometheus", [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "prom-data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]),
    );
    writeFileSync(
      join(dir, "vmagent.yml"),
      `scrape_configs:\n  - job_name: node\n    scrape_interval: 1s\n    static_configs: [{ targets: ["127.0.0.1:${nodePort}"] }]\n`,
    );
    peers.push(
      startPeer("vmagent", [
        `-promscrape.config=${join(dir, "vmagent.yml")}`,
        `-remoteWrite.url=${seed.url}/api/v1/push`,
        "-remoteWrite.headers=X-Scope-OrgID:vm",
        "-remoteWrite.label=sender=vmagent",
        `-remoteWrite.tmpDataPath=${join(dir, "vmagent-data")}`,
        `-httpListenAddr=127.0.0.1:${await freePort()}`,
        "-remoteWrite.flushInterval=1s",
      ]),
    );
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await seed?.stop();
  });

  async function mirador(tenant: string, q: string): Promise<Vector> {
    const res = await fetch(`${seed.url}/api/v1/query?query=${encodeURIComponent(q)}`, {
      headers: { "X-Scope-OrgID": tenant },
    });
    return (await res.json()) as Vector;
  }

  async function prometheus(q: string): Promise<Vector> {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await res.json()) as Vector;
  }

  it("receives Prometheus's remote-write and answers as Prometheus does", async () => {
    const count = 'count(node_cpu_seconds_total{job="node"})';
    const ours = await eventually(
      async () => {
        const r = await mirador("prom", count);
        return r.data.result.length > 0 ? r : undefined;
      },
      60_000,
      () => `Prometheus's samples (prometheus said: ${peers[1]?.output().slice(-1500)})`,
    );
    const theirs = await prometheus(count);
    expect(ours.data.result[0]?.value[1]).toBe(theirs.data.result[0]?.value[1]);
    expect(Number(ours.data.result[0]?.value[1])).toBeGreaterThan(0);
    const up = await mirador("prom", 'up{job="node"}');
    expect(up.data.result.map((x) => x.value[1])).toEqual(["1"]);
    // The series Prometheus sent carry its target labels, unchanged.
    const mem = await mirador("prom", "node_memory_MemTotal_bytes");
    expect(mem.data.result[0]?.metric).toEqual({
      __name__: "node_memory_MemTotal_bytes",
      instance: `127.0.0.1:${nodePort}`,
      job: "node",
      sender: "prometheus",
    });
    const promMem = await prometheus("node_memory_MemTotal_bytes");
    expect(mem.data.result[0]?.value[1]).toBe(promMem.data.result[0]?.value[1]);
  });

  it("serves the metric metadata Prometheus sends as Prometheus itself serves it", async () => {
    type Metadata = { data: Record<string, { type: string; help: string; unit: string }[]> };
    const get = async (base: string, headers: Record<string, string> = {}) =>
      (await (await fetch(`${base}/api/v1/metadata?metric=node_load1`, { headers })).json()) as Metadata;
    const ours = await eventually(
      async () => {
        const m = await get(seed.url, { "X-Scope-OrgID": "prom" });
        return m.data.node_load1 ? m : undefined;
      },
      60_000,
      () => `Prometheus's metadata (prometheus said: ${peers[1]?.output().slice(-1500)})`,
    );
    expect(ours.data).toEqual((await get(`http://127.0.0.1:${promPort}`)).data);
    expect(ours.data.node_load1).toEqual([{ type: "gauge", help: "1m load average.", unit: "" }]);
  });

  it("receives vmagent's remote-write into its own tenant only", async () => {
    const r = await eventually(
      async () => {
        const v = await mirador("vm", 'node_load1{job="node"}');
        return v.data.result.length > 0 ? v : undefined;
      },
      60_000,
      () => `vmagent's samples (vmagent said: ${peers[2]?.output().slice(-1500)})`,
    );
    expect(r.data.result[0]?.metric.instance).toBe(`127.0.0.1:${nodePort}`);
    expect(r.data.result.map((x) => x.metric.sender)).toEqual(["vmagent"]);
    const senders = await mirador("prom", "count by (sender) (node_load1)");
    expect(senders.data.result.map((x) => x.metric.sender)).toEqual(["prometheus"]);
    expect((await mirador("other", "node_load1")).data.result).toEqual([]);
  });
});
