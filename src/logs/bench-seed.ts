/**
 * The seed under `logs.bench.ts`: the logs role alone in its own process (`bin/mirador server
 * --target=logs`, built into dist/), so that the CPU and memory measured are the seed's and not the
 * benchmark's (which encodes, sends and compresses baselines). Pushes go over keep-alive HTTP as
 * Loki's clients send them (protobuf + snappy), queries through the Loki query API.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type Log, Server } from "../metrics/bench/peers.js";
import { cpuSeconds, dirBytes, peakRssBytes } from "../metrics/bench/proc-stats.js";

const MIRADOR_BIN = fileURLToPath(new URL("../../bin/mirador", import.meta.url));

/**
 * The seed's configuration: one benchmark pushes far more per tenant than a cluster would, so the
 * per-tenant ingestion rate and stream caps are lifted (they would measure the limiter, or refuse
 * the corpus); everything else — WAL syncs, flush thresholds, validation — keeps its defaults.
 */
const BENCH_CONFIG = `# written by the logs benchmark: per-tenant ingest limits off
logs:
  limits:
    ingestion_rate_mb: 0
    max_global_streams_per_user: 0
`;

/** A `POST /flush` that is not there yet (404) or failed: bytes on disk then include the WAL. */
export type FlushOutcome = "flushed" | "missing" | "failed";

/** A logs seed running as a child process on 127.0.0.1, with a temporary data directory. */
export interface LogsSeed {
  /** The process id, for /proc figures. */
  readonly pid: number;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** CPU seconds (user + system) the seed has used so far. */
  cpuSeconds(): number;
  /** The seed's peak resident set size so far (VmHWM), bytes. */
  peakRssBytes(): number;
  /** Bytes of every file under `<data_dir>/logs`: blocks, WAL, and whatever else the store keeps. */
  diskBytes(): number;
  /** `POST /flush`: every tenant's head into blocks, WALs truncated. */
  flush(): Promise<FlushOutcome>;
  /**
   * Posts `bodies` (protobuf + snappy) to `/loki/api/v1/push`, each as `tenants[i]`, at most
   * `inflight` at a time; body `i` starts only once body `i - stride` is answered, so that bodies
   * carrying the same streams `stride` apart arrive in order, as from one client per tenant.
   * Rejects on the first answer other than 204: a benchmark must not count refused lines.
   */
  pushAll(
    bodies: readonly Uint8Array[],
    tenants: readonly string[],
    inflight: number,
    stride: number,
  ): Promise<void>;
  /** `GET /loki/api/v1/query_range` as `tenant`; the parsed answer, or throws with the seed's error text. */
  queryRange(tenant: string, params: Record<string, string>): Promise<unknown>;
  /** SIGTERM (SIGKILL after 20 s), then deletes the data directory. */
  stop(): Promise<void>;
}

/** Starts the seed with {@link BENCH_CONFIG} on a free port and a fresh data directory. */
export async function startLogsSeed(log: Log): Promise<LogsSeed> {
  const dir = mkdtempSync(join(tmpdir(), "bench-logs-"));
  const dataDir = join(dir, "data");
  const config = join(dir, "mirador.yaml");
  writeFileSync(config, BENCH_CONFIG);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ["server", "--target=logs", "--config", config, "--data-dir", dataDir, "--http-port"];
  const server = new Server(
    "mirador (logs)",
    process.execPath,
    [MIRADOR_BIN, ...args, String(port), "--log-level", "warn"],
    `${base}/-/ready`,
  );
  try {
    await server.start(60_000);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const agent = new Agent({ keepAlive: true });
  return {
    pid: server.pid,
    base,
    cpuSeconds: () => cpuSeconds(server.pid),
    peakRssBytes: () => peakRssBytes(server.pid),
    diskBytes: () => dirBytes(join(dataDir, "logs")),
    flush: async () => {
      const res = await fetch(`${base}/flush`, { method: "POST" });
      const text = await res.text();
      if (res.status === 404) {
        log("!!! POST /flush answered 404: the heads stay unflushed, bytes on disk are the WAL's");
        return "missing";
      }
      if (res.status !== 204 && res.status !== 200) {
        log(`!!! POST /flush answered ${res.status}: ${text.slice(0, 500)}`);
        return "failed";
      }
      return "flushed";
    },
    pushAll: (bodies, tenants, inflight, stride) => pushAll(agent, base, bodies, tenants, inflight, stride),
    queryRange: async (tenant, params) => {
      const res = await fetch(`${base}/loki/api/v1/query_range?${new URLSearchParams(params)}`, {
        headers: { "x-scope-orgid": tenant },
        signal: AbortSignal.timeout(10 * 60_000),
      });
      const text = await res.text();
      if (res.status !== 200)
        throw new Error(`query_range ${params.query} as ${tenant}: ${res.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as unknown;
    },
    stop: async () => {
      agent.destroy();
      await server.end("SIGTERM", 20_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pushAll(
  agent: Agent,
  base: string,
  bodies: readonly Uint8Array[],
  tenants: readonly string[],
  inflight: number,
  stride: number,
): Promise<void> {
  const done: Promise<void>[] = [];
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < bodies.length && !failed) {
      const i = next++;
      const sent = (done[i - stride] ?? Promise.resolve()).then(() =>
        postPush(agent, `${base}/loki/api/v1/push`, tenants[i]!, bodies[i]!),
      );
      done[i] = sent;
      try {
        await sent;
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
}

function postPush(agent: Agent, url: string, tenant: string, body: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/x-protobuf",
          "content-length": String(body.length),
          "x-scope-orgid": tenant,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => {
          if (res.statusCode === 204) resolve();
          else reject(new Error(`push as ${tenant} answered ${res.statusCode}: ${text.slice(0, 500)}`));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
