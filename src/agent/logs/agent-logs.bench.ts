import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startLogsSeed } from "../../logs/bench-seed.js";
import { freePort, type Log, Server } from "../../metrics/bench/peers.js";
import { cpuSeconds, peakRssBytes } from "../../metrics/bench/proc-stats.js";
import { ContainerLogWriter } from "./gen/container-log-writer.js";

/**
 * `npm run bench -- agent-logs [--files N] [--mb-per-s R] [--seconds S] [--rotate-mib M]`: the
 * agent's log side end to end, against the bar of its issue (≥ 35 MiB of log files per CPU-second,
 * RSS under 100 MB).
 *
 * A writer in this process appends CRI-format container logs to `--files` (default 50) files laid
 * out as the kubelet does, at a combined `--mb-per-s` (default 20 MB/s) for `--seconds` (default
 * 60), rotating each at `--rotate-mib` (default 10, the kubelet's default) by rename. Lines are a mix
 * of JSON access logs, logfmt and plain text, 150–330 bytes. A `mirador-agent` process tails them
 * (the pods job, no extra stages) and pushes to a seed process (`mirador server --target=logs`, its
 * per-tenant limits lifted as in the `logs` bench). Every 250 ms a probe line goes to the first
 * file; the benchmark polls the seed for probes and records when each became visible.
 *
 * Figures (the last stdout line):
 * - `lines_per_cpu_second`, `mib_per_cpu_second`: lines and MiB of log file written, over the
 *   agent's CPU seconds (utime + stime of its process) from the first write until the seed has
 *   acknowledged every line (the agent's `mirador_agent_logs_entries_sent_total`);
 * - `rss_mb`: the agent's peak RSS (VmHWM), 10^6 bytes;
 * - `lag_p50_ms`, `lag_p99_ms`: probe written → visible in a `query_range` on the seed (poll
 *   resolution 100 ms);
 * - `lines_lost`: lines written minus lines the seed counts at the end.
 */

/** The agent as deployed: `mirador agent` with the agent's Node options (ADR 17). */
const MIRADOR_AGENT_BIN = fileURLToPath(new URL("../../../bin/mirador-agent", import.meta.url));
const TENANT = "bench";
const TICK_MS = 50;
const PROBE_EVERY_MS = 250;

const PATHS = ["/api/orders", "/api/users/42", "/api/search?q=shoes", "/healthz", "/api/cart/items"];
const MSGS = ["request served", "cache miss", "slow consumer", "retrying upstream", "user logged in"];

/** One log line of kind `k`, about 150–330 bytes, numbered. */
function line(k: number, seq: number, nowMs: number): string {
  const p = PATHS[seq % PATHS.length]!;
  const m = MSGS[(seq >>> 3) % MSGS.length]!;
  switch (k % 3) {
    case 0:
      return `{"ts":${nowMs},"level":"info","method":"GET","path":"${p}","status":${seq % 17 === 0 ? 500 : 200},"bytes":${(seq * 7919) % 50000},"duration_ms":${seq % 250},"trace_id":"${(seq * 2654435761).toString(16).padStart(16, "0")}","seq":${seq},"user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}`;
    case 1:
      return `level=${seq % 11 === 0 ? "warn" : "info"} ts=${nowMs} caller=server.go:${seq % 900} msg="${m}" path=${p} seq=${seq} took=${seq % 97}ms component=checkout tenant=shop-${seq % 13}`;
    default:
      return `I1121 ${new Date(nowMs).toISOString().slice(11, 23)} 1 controller.go:${seq % 400}] ${m} for object shop/web-${seq % 9}: seq=${seq} generation=${seq % 5} resourceVersion=${seq * 31}`;
  }
}

const round = (x: number, d = 0): number => Number(x.toFixed(d));

/** The agent's resident memory and where it is (V8's spaces, memory outside V8), from its /metrics, in MB. */
async function memoryNow(url: string): Promise<{ rss: number; text: string }> {
  const text = await (await fetch(url)).text();
  const mb = (name: string, labels = "") => {
    const m = new RegExp(`^${name}${labels.replace(/[{}]/g, "\\$&")}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(
      text,
    );
    return m ? Number(m[1]) / 1e6 : Number.NaN;
  };
  const space = (s: string) => mb("nodejs_heap_space_size_total_bytes", `{space="${s}"}`).toFixed(0);
  const rss = mb("process_resident_memory_bytes");
  return {
    rss,
    text:
      `RSS ${rss.toFixed(0)} MB: V8 heap ${mb("nodejs_heap_size_total_bytes").toFixed(0)} ` +
      `(new ${space("new")}, old ${space("old")}, large objects ${space("large_object")}, code ${space("code")}; ` +
      `${mb("nodejs_heap_size_used_bytes").toFixed(0)} used), external ${mb("nodejs_external_memory_bytes").toFixed(0)} MB`,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
}

/** Runs the benchmark; see the file comment. */
export async function run(argv: string[]): Promise<object> {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: "string", default: "50" },
      "mb-per-s": { type: "string", default: "20" },
      seconds: { type: "string", default: "60" },
      "rotate-mib": { type: "string", default: "10" },
    },
  });
  const files = positive("--files", values.files);
  const rate = positive("--mb-per-s", values["mb-per-s"]) * 1e6;
  const seconds = positive("--seconds", values.seconds);
  const rotateBytes = positive("--rotate-mib", values["rotate-mib"]) * 1024 * 1024;
  const started = performance.now();
  const log: Log = (msg) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`);

  const dir = mkdtempSync(join(tmpdir(), "bench-agent-logs-"));
  const seed = await startLogsSeed(log);
  let agent: Server | undefined;
  try {
    const port = await freePort();
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      `cluster: bench
remote_write_url: ${seed.base}/api/v1/push
data_dir: ${join(dir, "agent")}
http_port: ${port}
self_scrape: false
host_collector: { enabled: false }
logs:
  enabled: true
  push_url: ${seed.base}
  headers: { X-Scope-OrgID: ${TENANT} }
  pods: { dir: ${join(dir, "pods")} }
`,
    );
    agent = new Server(
      "mirador-agent",
      MIRADOR_AGENT_BIN,
      ["--config", config, "--log-level", "warn"],
      `http://127.0.0.1:${port}/-/ready`,
    );
    await agent.start(60_000);
    const agentPid = agent.pid;
    const writers = Array.from(
      { length: files },
      (_, i) =>
        new ContainerLogWriter({
          root: join(dir, "pods"),
          namespace: `ns-${i % 10}`,
          pod: `web-${i}`,
          uid: `uid-${i}`,
          container: "app",
          rotateBytes,
        }),
    );
    log(
      `seed ${seed.base} (pid ${seed.pid}), agent pid ${agentPid}; writing ${files} files at ${rate / 1e6} MB/s for ${seconds} s…`,
    );

    // The poller of probes: written-at by id, and the lag of each once seen.
    const probes = new Map<number, number>();
    const lags: number[] = [];
    let polling = true;
    const poll = async () => {
      while (polling) {
        const t = Date.now();
        // From the oldest probe not seen yet: the seed scans only the lines written since (a fixed
        // window would make the seed filter minutes of web-0's lines ten times a second).
        let from = t;
        for (const at of probes.values()) from = Math.min(from, at);
        try {
          const res = (await seed.queryRange(TENANT, {
            query: `{pod="web-0"} |= "probe id="`,
            start: String((from - 1_000) * 1e6),
            end: String((t + 1_000) * 1e6),
            limit: "50",
            direction: "forward",
          })) as { data: { result: { values: [string, string][] }[] } };
          for (const r of res.data.result)
            for (const [, l] of r.values) {
              const id = Number(/probe id=(\d+)/.exec(l)?.[1]);
              const at = probes.get(id);
              if (at !== undefined) {
                lags.push(t - at);
                probes.delete(id);
              }
            }
        } catch (err) {
          log(`probe query failed: ${String(err).slice(0, 200)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const poller = poll();
    // The agent's memory every second; the sample with the most RSS is reported.
    let peakMemory = { rss: 0, text: "" };
    const memoryTimer = setInterval(() => {
      memoryNow(`http://127.0.0.1:${port}/metrics`).then(
        (m) => {
          if (m.rss > peakMemory.rss) peakMemory = m;
        },
        () => undefined,
      );
    }, 1_000);

    const cpu0 = cpuSeconds(agentPid);
    const t0 = Date.now();
    let written = 0;
    let bytes = 0;
    let probeId = 0;
    let nextProbe = t0;
    while (Date.now() - t0 < seconds * 1000) {
      const tick = Date.now();
      // Catch up to the rate at the end of this tick, spreading lines over the files in turn.
      const target = ((tick - t0 + TICK_MS) / 1000) * rate;
      while (bytes < target) {
        const k = written % files;
        const text = line(k, written, tick);
        writers[k]!.write(text);
        bytes += text.length + 41; // and the CRI prefix (30-byte timestamp, " stdout F ") and newline
        written++;
      }
      if (tick >= nextProbe) {
        probeId++;
        probes.set(probeId, tick);
        writers[0]!.write(`probe id=${probeId} t=${tick}`);
        written++;
        nextProbe += PROBE_EVERY_MS;
      }
      for (const wr of writers) wr.flush();
      const sleep = TICK_MS - (Date.now() - tick);
      if (sleep > 0) await new Promise((r) => setTimeout(r, sleep));
    }
    for (const wr of writers) wr.close();
    const wroteFor = (Date.now() - t0) / 1000;
    log(
      `wrote ${written} lines, ${(bytes / 1e6).toFixed(1)} MB in ${wroteFor.toFixed(1)} s; waiting for the agent to have sent them all…`,
    );

    // The agent's work ends when the seed has acknowledged every line: its own counter, cheap to
    // read, says when, and its CPU is read then (a seed slower than the writer then costs the agent
    // only the CPU it really spends waiting). Gives up after 5 min without progress.
    const sentByAgent = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^mirador_agent_logs_entries_sent_total (\S+)$/m.exec(text)?.[1] ?? 0);
    };
    let sent = 0;
    let lastChange = Date.now();
    let agentCpu = cpuSeconds(agentPid) - cpu0;
    for (;;) {
      const cpuBefore = cpuSeconds(agentPid);
      const n = await sentByAgent().catch(() => sent);
      if (n !== sent) {
        sent = n;
        lastChange = Date.now();
      }
      agentCpu = cpuBefore - cpu0;
      if (sent >= written) break;
      if (Date.now() - lastChange > 300_000) {
        log(`!!! the agent stopped at ${sent} of ${written} lines sent`);
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    // Then the seed's own count, which scans every line it holds: lines lost are the difference.
    const countAll = async (): Promise<number> => {
      const now = Date.now();
      const res = (await seed.queryRange(TENANT, {
        query: `sum(count_over_time({cluster="bench"}[1h]))`,
        start: String(now * 1e6),
        end: String(now * 1e6),
        step: "60",
      })) as { data: { result: { values: [number, string][] }[] } };
      return Number(res.data.result[0]?.values.at(-1)?.[1] ?? 0);
    };
    let stored = await countAll();
    for (let tries = 0; stored < written && tries < 10; tries++) {
      await new Promise((r) => setTimeout(r, 2_000));
      stored = await countAll();
    }
    log(`the agent sent ${sent} lines, the seed counts ${stored} of ${written} written`);
    polling = false;
    clearInterval(memoryTimer);
    await poller;
    const rss = peakRssBytes(agentPid);
    log(`agent memory at its largest sample: ${peakMemory.text}`);
    log(`agent memory now: ${(await memoryNow(`http://127.0.0.1:${port}/metrics`)).text}`);
    const mib = bytes / 1024 / 1024;
    lags.sort((a, b) => a - b);
    log(
      `agent: ${agentCpu.toFixed(2)} CPU s for ${mib.toFixed(1)} MiB (${written} lines), peak RSS ${(rss / 1e6).toFixed(0)} MB; ` +
        `${lags.length} probes seen of ${probeId}, lag p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms, max ${lags.at(-1)} ms`,
    );
    return {
      mirador: {
        lines_per_cpu_second: round(written / agentCpu),
        mib_per_cpu_second: round(mib / agentCpu, 1),
        rss_mb: round(rss / 1e6),
        lag_p50_ms: quantile(lags, 0.5),
        lag_p99_ms: quantile(lags, 0.99),
        lines_lost: Math.max(0, written - stored),
      },
    };
  } finally {
    await agent?.end("SIGTERM", 20_000);
    await seed.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
