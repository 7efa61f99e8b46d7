import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STALE_NAN } from "../../model/stale.js";
import { WRITE_HEADERS } from "../../test-support/remote-write.js";
import { type SeedChild, startSeedChild, transpileSeed } from "../../test-support/seed-child.js";
import { encodeWriteRequestV1, type TimeSeriesV1 } from "../../wire/remote-write/v1.js";
import { snappyCompress } from "../../wire/snappy.js";

/**
 * Remote-write ingest under `kill -9`, end to end: a child process runs the seed's metrics role
 * (`mirador server --target=metrics`, from transpiled sources) with real fsyncs; several senders
 * here post remote-write 1.0 requests to it and note every request answered 2xx; at a random
 * moment mid-ingest the child is SIGKILLed, started again on the same data directory (replaying
 * its WALs), and every acknowledged sample must come back through the query API with its exact
 * value, and every sample that comes back (acknowledged or not) must be one that was sent. Then
 * the senders carry on writing to the same series, and so on for several rounds.
 *
 * Stale markers: PromQL hides them, range selectors included (as Prometheus does), so the API
 * cannot show one directly. Each stale check writes a value at `t` and the marker at `t + 1 ms` in
 * one request: the range selector must show the value (the series survived), and an instant query
 * at the end of the test must not (within the 5 m lookback, only the marker can hide it; a marker
 * turned into an ordinary NaN would show as "NaN").
 */

const ROUNDS = 5;
const SENDERS = 4;
const SERIES_PER_SENDER = 6;
const TENANTS = ["crash-a", "crash-b"];
/** Every this many requests, a sender's request also carries a stale-marked series. */
const STALE_EVERY = 5;

/** Synthetic sample time, ms: all samples fall in a few seconds after it, whatever the wall clock. */
const T0 = Date.now() - 10 * 60_000;

/** A request a sender got a 2xx for: `n` samples per series from time `T0 + from`. */
interface Acked {
  readonly sender: number;
  readonly from: number;
  readonly n: number;
  /** The time of the stale series' value (its marker is 1 ms later), if the request had one. */
  readonly staleAt?: number;
}

/** The value sender `s` writes to series `j` at time `t`: deterministic, with a full mantissa. */
function sentValue(s: number, j: number, t: number): number {
  const k = t - T0;
  return j % 3 === 0 ? k * 1000 + s : Math.sqrt(k + 1) * (s + 1) + j / 3;
}

function tenantOf(sender: number): string {
  return TENANTS[sender % TENANTS.length]!;
}

/** A small seeded generator; the seed is printed, so a failure names the draw of sizes and kill times. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The state the senders share across rounds. */
class Senders {
  /** The next sample offset (from T0) of each sender: only ever grows, acknowledged or not. */
  readonly next = new Array<number>(SENDERS).fill(0);
  readonly requests = new Array<number>(SENDERS).fill(0);
  readonly acked: Acked[] = [];
  /** Answers that were neither 2xx nor a connection cut by the kill: each one is a failure. */
  readonly unexpected: string[] = [];
  /** Requests whose connection the kill cut before an answer. */
  cut = 0;
  constructor(private readonly rand: () => number) {}

  /** Runs every sender against `url` until `stop` resolves; resolves when all have finished. */
  async run(url: string, stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, s) => {
        while (!stopped) await this.#send(url, s);
      }),
    );
  }

  async #send(url: string, s: number): Promise<void> {
    const from = this.next[s]!;
    const n = 1 + Math.floor(this.rand() * 3);
    this.next[s] = from + n;
    // Samples are built as objects: a JS array of numbers may quiet the stale marker's signalling
    // NaN (V8 canonicalises NaNs in double arrays), so `[t, v]` pairs cannot carry one.
    const timeseries: TimeSeriesV1[] = [];
    const put = (labels: Record<string, string>, samples: { timestamp: number; value: number }[]) =>
      timeseries.push({
        labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
        samples,
        exemplars: [],
        histogramCount: 0,
      });
    for (let j = 0; j < SERIES_PER_SENDER; j++) {
      const samples: { timestamp: number; value: number }[] = [];
      for (let k = 0; k < n; k++)
        samples.push({ timestamp: T0 + from + k, value: sentValue(s, j, T0 + from + k) });
      put({ __name__: "crash_ingest", sender: String(s), series: String(j) }, samples);
    }
    const request = this.requests[s]!;
    this.requests[s] = request + 1;
    const withStale = request % STALE_EVERY === 0;
    const staleAt = T0 + from;
    if (withStale) {
      put({ __name__: "crash_stale", sender: String(s), at: String(staleAt) }, [
        { timestamp: staleAt, value: sentValue(s, 1, staleAt) },
        { timestamp: staleAt + 1, value: STALE_NAN },
      ]);
    }
    let res: Response;
    try {
      res = await fetch(`${url}/api/v1/push`, {
        method: "POST",
        headers: { ...WRITE_HEADERS, "x-scope-orgid": tenantOf(s) },
        body: snappyCompress(encodeWriteRequestV1({ timeseries, metadata: [] })),
      });
    } catch {
      this.cut++; // the connection was cut by the kill: not acknowledged
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      this.acked.push(withStale ? { sender: s, from, n, staleAt } : { sender: s, from, n });
    } else {
      this.unexpected.push(`${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
  }
}

/** `[seconds, "value"]` pairs of a matrix result, as the Prometheus API renders them. */
type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

async function instantQuery(url: string, tenant: string, query: string, timeMs: number): Promise<Matrix> {
  const params = new URLSearchParams({ query, time: String(timeMs / 1000) });
  const res = await fetch(`${url}/api/v1/query?${params}`, { headers: { "x-scope-orgid": tenant } });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown } };
  if (res.status !== 200 || body.status !== "success")
    throw new Error(`${query} at ${timeMs}: ${res.status} ${body.error ?? ""}`);
  const result = body.data!.result as Matrix | { metric: Record<string, string>; value: [number, string] }[];
  return result.map((r) => ("values" in r ? r : { metric: r.metric, values: [r.value] }));
}

/**
 * Reads everything back from a restarted seed and checks it against what the senders sent and were
 * acknowledged; returns how many acknowledged samples were checked.
 */
async function check(child: SeedChild, senders: Senders, round: number): Promise<number> {
  const end = T0 + Math.max(...senders.next) + 10;
  /** Per sender and series: time → value, as read back. */
  const stored = new Map<string, Map<number, number>>();
  const staleValues = new Map<string, number>();
  const staleVisible = new Set<string>();
  const problems: string[] = [];
  for (const tenant of TENANTS) {
    for (const r of await instantQuery(child.url, tenant, "crash_ingest[1h]", end)) {
      const s = Number(r.metric.sender);
      const j = Number(r.metric.series);
      if (tenantOf(s) !== tenant) problems.push(`sender ${s}'s series is in tenant ${tenant}`);
      const points = new Map<number, number>();
      for (const [sec, text] of r.values) {
        const t = Math.round(sec * 1000);
        const v = Number(text);
        if (v !== sentValue(s, j, t))
          problems.push(`sender ${s} series ${j} at ${t}: ${text} was never sent`);
        points.set(t, v);
      }
      stored.set(`${s}/${j}`, points);
    }
    for (const r of await instantQuery(child.url, tenant, "crash_stale[1h]", end)) {
      for (const [sec, text] of r.values) {
        staleValues.set(`${r.metric.sender}/${Math.round(sec * 1000)}`, Number(text));
      }
    }
    // Every stale series is within the lookback of `end`: only its marker keeps it out of this.
    for (const r of await instantQuery(child.url, tenant, "crash_stale", end)) {
      staleVisible.add(`${r.metric.sender}/${r.metric.at}`);
    }
  }
  let checked = 0;
  for (const a of senders.acked) {
    for (let j = 0; j < SERIES_PER_SENDER; j++) {
      const points = stored.get(`${a.sender}/${j}`);
      for (let k = 0; k < a.n; k++) {
        const t = T0 + a.from + k;
        checked++;
        if (points?.get(t) !== sentValue(a.sender, j, t))
          problems.push(`acknowledged sample lost: sender ${a.sender} series ${j} at ${t}`);
      }
    }
    if (a.staleAt !== undefined) {
      const key = `${a.sender}/${a.staleAt}`;
      if (staleValues.get(key) !== sentValue(a.sender, 1, a.staleAt))
        problems.push(`acknowledged stale series ${key}: its value is lost`);
      if (staleVisible.has(key)) problems.push(`acknowledged stale series ${key}: its stale marker is lost`);
    }
  }
  expect(problems.slice(0, 20), `round ${round}, ${problems.length} problems`).toEqual([]);
  return checked;
}

describe("remote-write ingest under kill -9", () => {
  let work: string;
  let runner: string;
  let child: SeedChild | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-ingest-crash-"));
    runner = await transpileSeed(join(work, "build"));
  });
  afterAll(async () => {
    await child?.kill();
    await rm(work, { recursive: true, force: true });
  });

  it("keeps every acknowledged sample, exact, across repeated SIGKILLs mid-ingest", async () => {
    const seed = Date.now() >>> 0;
    const rand = prng(seed);
    const args = ["server", "--target=metrics", "--data-dir", join(work, "data"), "--log-level", "warn"];
    const senders = new Senders(rand);
    const perRound: number[] = [];
    child = await startSeedChild(runner, args);
    for (let round = 0; round < ROUNDS; round++) {
      const running = child;
      const before = senders.acked.length;
      let stop = () => {};
      const sending = senders.run(
        running.url,
        new Promise<void>((res) => {
          stop = res;
        }),
      );
      // Kill only once writes are being acknowledged, then at a random moment among them.
      const deadline = Date.now() + 20_000;
      while (senders.acked.length === before && Date.now() < deadline && senders.unexpected.length === 0)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50 + Math.floor(rand() * 700)));
      // No new request after this; those in flight are cut by the kill.
      stop();
      await running.kill();
      await sending;
      perRound.push(senders.acked.length - before);
      expect(senders.unexpected, `round ${round} (seed ${seed}): unexpected answers`).toEqual([]);
      child = await startSeedChild(runner, args);
      await check(child, senders, round);
    }
    await child.stop();
    expect(child.proc.exitCode, `clean shutdown failed:\n${child.output()}`).toBe(0);
    // Every round's kill landed while writes were being acknowledged.
    expect(
      perRound.every((n) => n > 0),
      `acknowledged per round: ${perRound}`,
    ).toBe(true);
    child = await startSeedChild(runner, args);
    const checked = await check(child, senders, ROUNDS);
    await child.stop();
    console.info(
      `ingest crash test (seed ${seed}): ${ROUNDS} SIGKILLs, ${senders.acked.length} acknowledged requests ` +
        `(${perRound.join(", ")} per round), ${senders.cut} cut by the kills, ${checked} samples all read back exact`,
    );
  }, 60_000);
});
