import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import type { ResolvedTarget } from "../discovery/types.js";
import { HttpScraper } from "./http-scraper.js";
import { scrapeOptions } from "./options.js";
import { scrapeOffset } from "./schedule.js";
import { type Captured, capture, ExpositionServer } from "./scrape.testlib.js";
import { ScrapePool } from "./scrape-pool.js";

const TEXT = { "content-type": "text/plain; version=0.0.4" };

let server: ExpositionServer;
let base: string;
let batches: Captured[][];
let pool: ScrapePool;

beforeEach(async () => {
  server = new ExpositionServer();
  server.reply = (req) => ({ headers: TEXT, body: `m{path="${req.url}"} 1\n` });
  base = await server.listen();
  batches = [];
  pool = new ScrapePool({
    sink: (b) => batches.push(capture(b)),
    identity: "a1",
    autoStart: false,
    now: () => 5_000,
  });
});
afterEach(async () => {
  await pool.stop();
  await server.close();
});

function resolved(path: string): ResolvedTarget {
  const labels = Labels.fromRecord({ job: "j", instance: path });
  return {
    job: "j",
    url: `${base}/${path}`,
    labels,
    discoveredLabels: labels,
    intervalMs: 15_000,
    timeoutMs: 5_000,
    key: path,
  };
}

const options = scrapeOptions({ cluster: "c1" });

describe("ScrapePool", () => {
  it("starts new targets, keeps persisting ones and stales vanished ones", async () => {
    await pool.sync("j", [resolved("a"), resolved("b")], options);
    const [la, lb] = pool.loops("j");
    await pool.scrapeAll();
    batches = [];
    await pool.sync("j", [resolved("b"), resolved("c")], options);
    expect(pool.loops("j").map((l) => l.target.key)).toEqual(["b", "c"]);
    expect(pool.loops("j")[0]).toBe(lb);
    expect(la).not.toBe(lb);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.every((s) => s.v === "stale" && s.labels.includes('instance="a"'))).toBe(true);
    expect(batches[0]!.map((s) => s.labels.split("{")[0])).toContain("m");
  });

  it("stop() stops every loop without stale markers", async () => {
    await pool.sync("j", [resolved("a")], options);
    await pool.scrapeAll();
    await pool.stop();
    expect(batches).toHaveLength(1);
    expect(pool.loops()).toEqual([]);
  });

  it("new options replace loops and hand over their series, staling only what changed", async () => {
    await pool.sync("j", [resolved("a")], options);
    await pool.scrapeAll();
    const before = pool.loops("j")[0];
    server.reply = { headers: TEXT, body: 'm{path="/a"} 1\nextra 2\n' };
    await pool.sync("j", [resolved("a")], scrapeOptions({ cluster: "c1", honorLabels: true }));
    expect(pool.loops("j")[0]).not.toBe(before);
    await pool.scrapeAll();
    expect(batches[1]!.filter((s) => s.v === "stale")).toEqual([]);
    server.reply = { headers: TEXT, body: "extra 2\n" };
    await pool.scrapeAll();
    expect(batches[2]!.filter((s) => s.v === "stale").map((s) => s.labels.split("{")[0])).toEqual(["m"]);
  });

  it("scrapes a built-in collector with fixed target labels", async () => {
    const loop = pool.addCollector({
      job: "node",
      instance: "host1",
      labels: { role: "worker" },
      intervalMs: 15_000,
      timeoutMs: 1_000,
      options,
      collector: {
        collect: async () => ({
          samples: [{ labels: Labels.fromRecord({ __name__: "node_load1", job: "x" }), value: 0.5 }],
          metadata: [],
        }),
      },
    });
    const r = await loop.scrapeOnce();
    expect(r).toMatchObject({ up: true, samplesScraped: 1, seriesAdded: 1 });
    expect(batches[0]![0]).toEqual({
      labels: 'node_load1{cluster="c1", exported_job="x", instance="host1", job="node", role="worker"}',
      t: r.timestamp,
      v: 0.5,
    });
    expect(pool.loops("node")).toEqual([loop]);
  });

  it("drop() stales every series of a job and forgets it", async () => {
    await pool.sync("j", [resolved("a"), resolved("b")], options);
    await pool.scrapeAll();
    batches = [];
    await pool.drop("j");
    expect(pool.loops("j")).toEqual([]);
    const stale = batches.flat();
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((s) => s.v === "stale")).toBe(true);
    expect(new Set(stale.map((s) => /instance="(\w)"/.exec(s.labels)?.[1]))).toEqual(new Set(["a", "b"]));
    await pool.drop("unknown");
  });

  it("pause() stops scraping without stale markers until resume(), keeping the loops", async () => {
    await pool.sync("j", [resolved("a")], options);
    await pool.scrapeAll();
    const loop = pool.loops("j")[0];
    batches = [];
    await pool.pause();
    expect(pool.paused).toBe(true);
    expect(await pool.scrapeAll()).toEqual([]);
    await pool.sync("j", [resolved("a"), resolved("b")], options);
    expect(batches).toEqual([]);
    await pool.resume();
    expect(pool.loops("j")[0]).toBe(loop);
    expect(await pool.scrapeAll()).toHaveLength(2);
    // The kept loop still knows its series: nothing of it went stale.
    expect(batches.flat().filter((s) => s.v === "stale")).toEqual([]);
  });

  it("updateCollector() replaces a collector's loop, handing over its series", async () => {
    const spec = {
      job: "node",
      instance: "host1",
      intervalMs: 15_000,
      timeoutMs: 1_000,
      options,
      collector: {
        collect: async () => ({
          samples: [{ labels: Labels.fromRecord({ __name__: "x" }), value: 1 }],
          metadata: [],
        }),
      },
    };
    const first = pool.addCollector(spec);
    await pool.scrapeAll();
    const external = scrapeOptions({ cluster: "c1", externalLabels: { team: "t" } });
    await pool.updateCollector({ ...spec, intervalMs: 30_000, options: external });
    const [next] = pool.loops("node");
    expect(next).not.toBe(first);
    expect(next!.target.intervalMs).toBe(30_000);
    batches = [];
    await pool.scrapeAll();
    const out = batches.flat();
    expect(out.some((s) => s.labels.startsWith("x{") && s.labels.includes('team="t"'))).toBe(true);
    // The series without the label changed: it (only) gets a stale marker.
    expect(out.filter((s) => s.v === "stale").map((s) => s.labels.split("{")[0])).toEqual(["x"]);
  });

  it("gives each target a stable offset that depends on the agent identity", () => {
    expect(scrapeOffset("k", "a1", 15_000)).toBe(scrapeOffset("k", "a1", 15_000));
    const offsets = new Set(["a1", "a2", "a3", "a4"].map((id) => scrapeOffset("k", id, 15_000)));
    expect(offsets.size).toBeGreaterThan(1);
    for (const o of offsets) expect(o).toBeGreaterThanOrEqual(0);
    for (const o of offsets) expect(o).toBeLessThan(15_000);
  });

  it("rounds offsets down to the alignment, keeping them stable and per agent", () => {
    const ids = Array.from({ length: 40 }, (_, i) => `agent-${i}`);
    for (const id of ids) {
      const spread = scrapeOffset("k", id, 15_000);
      const aligned = scrapeOffset("k", id, 15_000, 1_000);
      expect(aligned % 1_000).toBe(0);
      expect(aligned).toBe(spread - (spread % 1_000));
    }
    expect(new Set(ids.map((id) => scrapeOffset("k", id, 15_000, 1_000))).size).toBeGreaterThan(5);
    // An interval at or below the alignment puts every target at phase 0.
    expect(scrapeOffset("k", "a1", 1_000, 1_000)).toBe(0);
  });
});

describe("HttpScraper over TLS", () => {
  let dir: string;
  let tls: ExpositionServer;
  let url: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "scrape-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    tls = new ExpositionServer(
      https.createServer({
        key: readFileSync(join(dir, "key.pem")),
        cert: readFileSync(join(dir, "cert.pem")),
      }),
    );
    tls.reply = { headers: TEXT, body: "a 1\n" };
    url = `${await tls.listen("https")}/metrics`;
  });
  afterEach(() => tls.close());

  it.each([
    ["with the CA file", () => ({ caFile: join(dir, "cert.pem") }), true],
    ["without the CA", () => ({}), false],
    ["with insecure_skip_verify", () => ({ insecureSkipVerify: true }), true],
  ])("scrapes %s", async (_name, tlsOptions, ok) => {
    const s = new HttpScraper(url, scrapeOptions({ cluster: "c", tls: tlsOptions() }));
    const got = s.scrape(new AbortController().signal, 1_000);
    if (ok) await expect(got).resolves.toMatchObject({ text: "a 1\n" });
    else await expect(got).rejects.toMatchObject({ code: "network" });
    s.close();
  });
});
