import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Log } from "../../metrics/bench/peers.js";
import { cpuSeconds, dirBytes, peakRssBytes } from "../../metrics/bench/proc-stats.js";
import { type AgentSpec, MIRADOR_AGENT, PROMETHEUS_AGENT, VMAGENT } from "./agents.js";
import { Receiver } from "./receiver.js";
import { SERIES_PER_TARGET, TargetFarm } from "./target-farm.js";

/** One agent's figures (null when it could not be measured; the log says why). */
export interface AgentFigures {
  rss_mb: number | null;
  cpu_cores: number | null;
  buffer_bytes_per_sample: number | null;
  catch_up_seconds: number | null;
  samples_lost: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `npm run bench -- agent [--targets 200] [--interval 10] [--steady 60] [--outage 120]
 * [--agents mirador,vmagent,prometheus_agent] [--rounds 1]`: {@link TargetFarm} serves `--targets` targets of
 * ~500 node-exporter-like series (10K samples/s at the defaults); each agent in turn scrapes them
 * all and remote-writes to one VictoriaMetrics ({@link Receiver}). Per agent:
 *
 * 1. steady state for `--steady` s: CPU cores used (CPU seconds ÷ wall seconds);
 * 2. the receiver stops for `--outage` s: the agent's buffer directory's growth ÷ the samples
 *    scraped meanwhile is `buffer_bytes_per_sample`;
 * 3. the receiver comes back: `catch_up_seconds` until every answer served before it came back is
 *    in the receiver (counted by the `bench_scrape_seq` samples stored);
 * 4. three more intervals, then the agent is stopped: `samples_lost` = target samples of answers
 *    served (up to three intervals before the stop) that never reached the receiver, from each
 *    target's highest stored `bench_scrape_seq` and its stored sample count;
 * 5. `rss_mb`: the agent process's peak resident set over the whole run.
 *
 * With `--rounds N` (N > 1), after all that, the agents take turns for N − 1 more steady-state
 * windows each (started fresh, warmed up for two intervals), and `cpu_cores` is each agent's median
 * window: on a shared machine whose speed drifts over minutes, one window per agent compares the
 * agents' minutes as much as the agents.
 *
 * Last line: `{"mirador":{…},"vmagent":{…},"prometheus_agent":{…}}` with the keys of {@link AgentFigures}.
 */
export async function run(argv: string[]): Promise<Record<string, AgentFigures | null>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: "string", default: "200" },
      interval: { type: "string", default: "10" },
      steady: { type: "string", default: "60" },
      outage: { type: "string", default: "120" },
      agents: { type: "string", default: "mirador,vmagent,prometheus_agent" },
      rounds: { type: "string", default: "1" },
    },
  });
  const log: Log = (m) => process.stderr.write(`${m}\n`);
  const all = [MIRADOR_AGENT, VMAGENT, PROMETHEUS_AGENT];
  const wanted = values.agents.split(",");
  const specs = all.filter((a) => wanted.includes(a.name));
  const opts = {
    targets: Number(values.targets),
    interval: Number(values.interval),
    steady: Number(values.steady),
    outage: Number(values.outage),
  };
  log(
    `agent bench: ${opts.targets} targets × ${SERIES_PER_TARGET} series every ${opts.interval} s ` +
      `(${Math.round((opts.targets * SERIES_PER_TARGET) / opts.interval)} samples/s); steady ${opts.steady} s, outage ${opts.outage} s`,
  );
  const farm = await TargetFarm.start(opts.targets);
  const receiver = await Receiver.start(log);
  const out: Record<string, AgentFigures | null> = {};
  try {
    if (typeof receiver === "string") throw new Error(receiver);
    const present: AgentSpec[] = [];
    for (const spec of specs) {
      const missing = spec.missing();
      if (missing) {
        log(`!!! ${spec.name.toUpperCase()} IS MISSING: ${missing}`);
        out[spec.name] = null;
        continue;
      }
      present.push(spec);
      out[spec.name] = await measure(spec, farm, receiver, opts, log);
      log(`${spec.name}: ${JSON.stringify(out[spec.name])}`);
    }
    // More steady-state windows, the agents taking turns, so that a machine whose speed drifts over
    // minutes weighs on every agent alike; each agent's cpu_cores is then its median window.
    const cpu = new Map(present.map((s) => [s.name, [out[s.name]!.cpu_cores]]));
    for (let round = 2; round <= Number(values.rounds); round++) {
      for (const spec of present) cpu.get(spec.name)!.push(await steadyCpu(spec, farm, receiver, opts, log));
    }
    for (const spec of present) {
      const windows = cpu.get(spec.name)!;
      if (windows.length > 1) {
        log(`${spec.name}: cpu_cores per window ${JSON.stringify(windows)}`);
        out[spec.name] = { ...out[spec.name]!, cpu_cores: median(windows) };
      }
    }
  } finally {
    await farm.stop();
    if (typeof receiver !== "string") await receiver.stop();
  }
  return out;
}

/** One more steady-state window of `spec`: started fresh, warmed up for two intervals, then measured. */
async function steadyCpu(
  spec: AgentSpec,
  farm: TargetFarm,
  receiver: Receiver,
  opts: BenchOptions,
  log: Log,
): Promise<number | null> {
  const { agent, dir } = await startAgent(spec, farm, receiver, opts);
  try {
    const cores = await steadyWindow(agent.pid, opts);
    log(`${spec.name}: ${cores.toFixed(3)} cores in another steady window`);
    return Math.round(cores * 1000) / 1000;
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type BenchOptions = { targets: number; interval: number; steady: number; outage: number };

/** Starts `spec` on a fresh directory against the farm (its answer counters reset) and the receiver. */
async function startAgent(spec: AgentSpec, farm: TargetFarm, receiver: Receiver, opts: BenchOptions) {
  farm.reset();
  const dir = mkdtempSync(join(tmpdir(), `bench-agent-${spec.name}-`));
  const agent = await spec.start({
    dir,
    targets: farm.addresses,
    writeUrl: receiver.writeUrl,
    intervalSeconds: opts.interval,
  });
  return { agent, dir };
}

/**
 * CPU cores process `pid` uses over `opts.steady` seconds, after two intervals in which every
 * target is scraped a few times.
 */
async function steadyWindow(pid: number, opts: BenchOptions): Promise<number> {
  await sleep(2 * opts.interval * 1000);
  const c0 = cpuSeconds(pid);
  const w0 = performance.now();
  await sleep(opts.steady * 1000);
  return (cpuSeconds(pid) - c0) / ((performance.now() - w0) / 1000);
}

/** The median of the numbers among `xs` (null when none). */
function median(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : Math.round(((v[mid - 1]! + v[mid]!) / 2) * 1000) / 1000;
}

async function measure(
  spec: AgentSpec,
  farm: TargetFarm,
  receiver: Receiver,
  opts: BenchOptions,
  log: Log,
): Promise<AgentFigures> {
  const label = `bench_agent="${spec.name}"`;
  const { agent, dir } = await startAgent(spec, farm, receiver, opts);
  let peak = 0;
  const watch = setInterval(() => {
    try {
      peak = Math.max(peak, peakRssBytes(agent.pid));
    } catch {
      // the process is gone
    }
  }, 1_000);
  try {
    const cpuCores = await steadyWindow(agent.pid, opts);
    log(`${spec.name}: ${cpuCores.toFixed(3)} cores in the steady state`);

    const b0 = dirBytes(agent.bufferDir);
    const s0 = farm.served;
    await receiver.down();
    log(`${spec.name}: receiver down for ${opts.outage} s`);
    await sleep(opts.outage * 1000);
    const grown = dirBytes(agent.bufferDir) - b0;
    const scraped = (farm.served - s0) * (SERIES_PER_TARGET + 1);
    const bufferPerSample = scraped > 0 ? grown / scraped : null;
    log(`${spec.name}: buffer grew ${grown} bytes for ${scraped} samples`);

    await receiver.up();
    const upAt = performance.now();
    const servedAtUp = farm.served;
    let catchUp: number | null = null;
    while (performance.now() - upAt < 600_000) {
      const stored = (await receiver.number(`sum(count_over_time(bench_scrape_seq{${label}}[2h]))`)) ?? 0;
      if (stored >= servedAtUp) {
        catchUp = (performance.now() - upAt) / 1000;
        break;
      }
      await sleep(1_000);
    }
    log(`${spec.name}: caught up in ${catchUp ?? "(not within 600)"} s`);

    const servedEarly = farm.served;
    await sleep(3 * opts.interval * 1000);
    await agent.stop();
    await receiver.flush();
    await sleep(3_000);
    const maxSeqSum = (await receiver.number(`sum(max_over_time(bench_scrape_seq{${label}}[2h]))`)) ?? 0;
    const stored = (await receiver.number(`sum(count_over_time({__name__=~"node_.+",${label}}[2h]))`)) ?? 0;
    const lost =
      maxSeqSum * SERIES_PER_TARGET - stored + Math.max(0, servedEarly - maxSeqSum) * SERIES_PER_TARGET;
    log(
      `${spec.name}: ${servedEarly} answers served before the last three intervals, highest sequences sum to ${maxSeqSum}, ${stored} target samples stored`,
    );
    return {
      rss_mb: Math.round((peak / 1024 / 1024) * 10) / 10,
      cpu_cores: Math.round(cpuCores * 1000) / 1000,
      buffer_bytes_per_sample: bufferPerSample === null ? null : Math.round(bufferPerSample * 100) / 100,
      catch_up_seconds: catchUp === null ? null : Math.round(catchUp * 10) / 10,
      samples_lost: lost,
    };
  } finally {
    clearInterval(watch);
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
