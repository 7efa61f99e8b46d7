import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dirBytes } from "./proc-stats.js";

/** A system under test: a server process that takes remote-write, and how to measure its storage. */
export interface Peer {
  readonly name: string;
  readonly pid: number;
  /** The remote-write URL. */
  readonly writeUrl: string;
  /** Headers every write carries (the tenant, for Mirador). */
  readonly headers: Record<string, string>;
  /** Persists everything received (to blocks/parts) and returns its size on disk, or null when it cannot. */
  flush(): Promise<{ dataBytes: number; indexBytes: number } | null>;
  stop(): Promise<void>;
}

const MIRADOR_BIN = fileURLToPath(new URL("../../../bin/mirador", import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function start(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { proc: ChildProcess; log: () => string } {
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
  let out = "";
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-10_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return { proc, log: () => out };
}

async function waitReady(url: string, what: string, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready at ${url}:\n${log()}`);
}

function stopper(proc: ChildProcess, dir: string): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      const kill = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      proc.once("exit", () => {
        clearTimeout(kill);
        done();
      });
      proc.kill("SIGTERM");
    });
}

/** Mirador's metrics role alone, as its own process (`bin/mirador server --target=metrics`). */
export async function startMirador(): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), "bench-mirador-"));
  const port = await freePort();
  const { proc, log } = start(
    process.execPath,
    [
      MIRADOR_BIN,
      "server",
      "--target=metrics",
      "--data-dir",
      dir,
      "--http-port",
      String(port),
      "--log-level",
      "warn",
    ],
    {
      ...process.env,
      MIRADOR_LOG_FORMAT: "json",
    },
  );
  await waitReady(`http://127.0.0.1:${port}/-/ready`, "mirador", log);
  return {
    name: "mirador",
    pid: proc.pid!,
    writeUrl: `http://127.0.0.1:${port}/api/v1/push`,
    headers: { "x-scope-orgid": "bench" },
    // The skeleton's store keeps samples in memory only: nothing on disk to measure yet.
    flush: async () => null,
    stop: stopper(proc, dir),
  };
}

/** Prometheus from Debian's package with its remote-write receiver. */
export async function startPrometheus(): Promise<Peer | string> {
  if (!existsSync("/usr/bin/prometheus")) return "prometheus is not installed (apt-get install prometheus)";
  const dir = mkdtempSync(join(tmpdir(), "bench-prometheus-"));
  const port = await freePort();
  writeFileSync(join(dir, "prometheus.yml"), "global: {}\n");
  const { proc, log } = start("/usr/bin/prometheus", [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-remote-write-receiver",
    "--web.enable-admin-api",
    "--log.level=warn",
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/-/ready`, "prometheus", log);
  return {
    name: "prometheus",
    pid: proc.pid!,
    writeUrl: `${base}/api/v1/write`,
    headers: {},
    // A snapshot writes the head into a block, as compaction would.
    flush: async () => {
      const res = await fetch(`${base}/api/v1/admin/tsdb/snapshot`, { method: "POST" });
      const body = (await res.json()) as { data?: { name?: string } };
      const snap = join(dir, "data", "snapshots", body.data?.name ?? "");
      return {
        dataBytes: dirBytes(snap, (r) => r.includes("/chunks/")),
        indexBytes: dirBytes(snap, (r) => r.endsWith("/index")),
      };
    },
    stop: stopper(proc, dir),
  };
}

/** VictoriaMetrics single-node from Debian's package. */
export async function startVictoriaMetrics(): Promise<Peer | string> {
  if (!existsSync("/usr/bin/victoria-metrics"))
    return "victoria-metrics is not installed (apt-get install victoria-metrics)";
  const dir = mkdtempSync(join(tmpdir(), "bench-vm-"));
  const port = await freePort();
  const { proc, log } = start("/usr/bin/victoria-metrics", [
    `-storageDataPath=${join(dir, "data")}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    "-retentionPeriod=100y",
    "-loggerLevel=WARN",
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/health`, "victoria-metrics", log);
  return {
    name: "victoriametrics",
    pid: proc.pid!,
    writeUrl: `${base}/api/v1/write`,
    headers: {},
    flush: async () => {
      await fetch(`${base}/internal/force_flush`);
      // Parts are merged and written in the background; give the flush a moment to land.
      await new Promise((r) => setTimeout(r, 3_000));
      const data = join(dir, "data");
      return { dataBytes: dirBytes(join(data, "data")), indexBytes: dirBytes(join(data, "indexdb")) };
    },
    stop: stopper(proc, dir),
  };
}
