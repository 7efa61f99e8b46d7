import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeedChild, startSeedChild, transpileSeed } from "../test-support/seed-child.js";
import { encodePushSnappy } from "../wire/loki/push-encode.js";

/**
 * Loki push ingest under `kill -9`, end to end: a child process runs the seed's logs role
 * (`mirador server --target=logs`, from transpiled sources) with real fsyncs; several senders here
 * post protobuf + snappy pushes of numbered lines to it (two tenants, two streams per sender) and
 * note every push answered 204, while a flusher asks for `POST /flush` now and then and a small
 * `logs.head_max_bytes` makes the maintenance loop flush too, so heads turn into blocks (and WALs
 * are truncated) mid-ingest. Once some hundreds of pushes are acknowledged,
 * at a random moment, the child is SIGKILLed and started again on the same data directory; every
 * acknowledged line must come back through `/loki/api/v1/query_range` exactly once, and every line
 * that comes back must be one that was sent, once. The senders then carry on with the same streams,
 * and so on for {@link ROUNDS} kills; a clean stop and restart ends the test.
 */

const ROUNDS = 2;
const SENDERS = 4;
const STREAMS_PER_SENDER = 2;
const TENANTS = ["crash-a", "crash-b"];
/** Pushes acknowledged in a round before its kill may come. */
const ACKED_BEFORE_KILL = 200;

/**
 * The seed's configuration: every key the test needs set, one line each. Small flush thresholds
 * make the maintenance loop flush heads into blocks while the test pushes.
 */
const CONFIG = `# written by logs-crash.test.ts
logs:
  max_entries_limit_per_query: 1000000
  head_max_bytes: 65536
  maintenance_interval: 100ms
  limits:
    ingestion_rate_mb: 0
`;

/** Synthetic time of line 0, ns: every line falls within minutes after it, whatever the wall clock. */
const T0_NS = BigInt(Date.now() - 10 * 60_000) * 1_000_000n;

function tenantOf(sender: number): string {
  return TENANTS[sender % TENANTS.length]!;
}

/** The line sender `s` writes as number `seq` of stream `j` (at `T0_NS + seq` µs). */
function lineOf(s: number, j: number, seq: number): string {
  return `sender=${s} stream=${j} seq=${seq} msg="${"x".repeat((seq * 7 + j) % 60)}"`;
}

const LINE_RE = /^sender=(\d+) stream=(\d+) seq=(\d+) /;

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

/** A push a sender got 204 for: lines `from … from + n − 1` of each of its streams. */
interface Acked {
  readonly sender: number;
  readonly from: number;
  readonly n: number;
}

/** The state the senders share across rounds. */
class Senders {
  /** The next line number of each sender: only ever grows, acknowledged or not. */
  readonly next = new Array<number>(SENDERS).fill(0);
  readonly acked: Acked[] = [];
  /** Answers that were neither 204 nor a connection cut by the kill: each one is a failure. */
  readonly unexpected: string[] = [];
  /** Pushes whose connection the kill cut before an answer. */
  cut = 0;
  /** `POST /flush` calls answered 204. */
  flushes = 0;
  constructor(private readonly rand: () => number) {}

  /** Runs every sender and the flusher against `url` until `stop` resolves. */
  async run(url: string, stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    const flusher = async () => {
      while (!stopped) {
        await new Promise((r) => setTimeout(r, 50 + Math.floor(this.rand() * 150)));
        if (stopped) return;
        try {
          const res = await fetch(`${url}/flush`, { method: "POST" });
          await res.arrayBuffer();
          if (res.status === 204) this.flushes++;
          else this.unexpected.push(`POST /flush: ${res.status}`);
        } catch {
          // cut by the kill
        }
      }
    };
    await Promise.all([
      flusher(),
      ...Array.from({ length: SENDERS }, async (_, s) => {
        while (!stopped) await this.#send(url, s);
      }),
    ]);
  }

  async #send(url: string, s: number): Promise<void> {
    const from = this.next[s]!;
    const n = 1 + Math.floor(this.rand() * 20);
    this.next[s] = from + n;
    const streams = Array.from({ length: STREAMS_PER_SENDER }, (_, j) => ({
      labels: `{job="crash", sender="${s}", stream="${j}"}`,
      entries: Array.from({ length: n }, (_, k) => ({
        timestampNs: T0_NS + BigInt(from + k) * 1000n,
        line: lineOf(s, j, from + k),
      })),
    }));
    let res: Response;
    try {
      res = await fetch(`${url}/loki/api/v1/push`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf", "x-scope-orgid": tenantOf(s) },
        body: encodePushSnappy({ streams }),
      });
    } catch {
      this.cut++; // the connection was cut by the kill: not acknowledged
      return;
    }
    const text = await res.text().catch(() => "");
    if (res.status === 204) this.acked.push({ sender: s, from, n });
    else this.unexpected.push(`push: ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Every line of `{job="crash"}` the seed holds for `tenant`, as `[ts ns, line]` pairs. */
async function readAll(url: string, tenant: string, endSeq: number): Promise<[string, string][]> {
  const params = new URLSearchParams({
    query: '{job="crash"}',
    start: String(T0_NS - 1_000_000_000n),
    end: String(T0_NS + BigInt(endSeq) * 1000n + 1_000_000_000n),
    limit: "1000000",
    direction: "forward",
  });
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`, {
    headers: { "x-scope-orgid": tenant },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`query_range as ${tenant}: ${res.status} ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { data: { result: { values: [string, string][] }[] } };
  return body.data.result.flatMap((r) => r.values);
}

/** One read of everything: how often each `sender/stream/seq` came back, and lines that are wrong. */
async function readBack(
  url: string,
  endSeq: number,
): Promise<{ seen: Map<string, number>; problems: string[] }> {
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const tenant of TENANTS) {
    for (const [ts, line] of await readAll(url, tenant, endSeq)) {
      const m = LINE_RE.exec(line);
      if (m === null) {
        problems.push(`a line that was never sent: ${line}`);
        continue;
      }
      const [s, j, seq] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (tenantOf(s) !== tenant) problems.push(`sender ${s}'s line is in tenant ${tenant}`);
      if (line !== lineOf(s, j, seq) || BigInt(ts) !== T0_NS + BigInt(seq) * 1000n)
        problems.push(`line ${s}/${j}/${seq} came back changed: ${ts} ${line}`);
      const key = `${s}/${j}/${seq}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  for (const [key, times] of seen) if (times > 1) problems.push(`line ${key} came back ${times} times`);
  return { seen, problems };
}

/** The acknowledged lines, as `sender/stream/seq`. */
function* ackedKeys(senders: Senders): Generator<string> {
  for (const a of senders.acked)
    for (let j = 0; j < STREAMS_PER_SENDER; j++)
      for (let k = 0; k < a.n; k++) yield `${a.sender}/${j}/${a.from + k}`;
}

/**
 * Reads everything back from a restarted seed and checks it against what the senders sent and were
 * acknowledged; returns how many acknowledged lines were checked. Acknowledged lines missing from
 * the read are looked for again in a second read, so that the failure says whether they are lost
 * for good or were only hidden from one query (the seed flushes its heads while the test reads).
 */
async function check(child: SeedChild, senders: Senders, what: string): Promise<number> {
  const endSeq = Math.max(...senders.next);
  const first = await readBack(child.url, endSeq);
  const problems = first.problems;
  let checked = 0;
  const missing: string[] = [];
  for (const key of ackedKeys(senders)) {
    checked++;
    if (!first.seen.has(key)) missing.push(key);
  }
  if (missing.length > 0) {
    await new Promise((r) => setTimeout(r, 500));
    const again = await readBack(child.url, endSeq);
    const lost = missing.filter((k) => !again.seen.has(k));
    if (lost.length > 0)
      problems.push(`${lost.length} acknowledged lines lost for good, e.g. ${lost.slice(0, 10).join(", ")}`);
    if (lost.length < missing.length)
      problems.push(
        `${missing.length - lost.length} acknowledged lines missing from one query but there in the next ` +
          `(hidden while a flush ran?), e.g. ${missing
            .filter((k) => again.seen.has(k))
            .slice(0, 10)
            .join(", ")}`,
      );
  }
  expect(
    problems.slice(0, 20),
    `${what}: ${problems.length} problems; the seed said:\n${child.output()}`,
  ).toEqual([]);
  return checked;
}

describe("Loki push ingest under kill -9", () => {
  let work: string;
  let runner: string;
  let child: SeedChild | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mirador-logs-crash-"));
    runner = await transpileSeed(join(work, "build"));
    await writeFile(join(work, "mirador.yaml"), CONFIG);
  });
  afterAll(async () => {
    await child?.kill();
    await rm(work, { recursive: true, force: true });
  });

  it("keeps every acknowledged line, exactly once, across repeated SIGKILLs mid-ingest", async () => {
    const seed = Date.now() >>> 0;
    const rand = prng(seed);
    const args = [
      "server",
      "--target=logs",
      "--config",
      join(work, "mirador.yaml"),
      "--data-dir",
      join(work, "data"),
      "--log-level",
      "warn",
    ];
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
      // Kill only once some hundreds of pushes are acknowledged, then at a random moment among them.
      const deadline = Date.now() + 10_000;
      while (
        senders.acked.length - before < ACKED_BEFORE_KILL &&
        Date.now() < deadline &&
        senders.unexpected.length === 0
      )
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 300)));
      // No new push after this; those in flight are cut by the kill.
      stop();
      await running.kill();
      await sending;
      perRound.push(senders.acked.length - before);
      expect(senders.unexpected, `round ${round} (seed ${seed}): unexpected answers`).toEqual([]);
      child = await startSeedChild(runner, args);
      await check(child, senders, `round ${round} (seed ${seed})`);
    }
    await child.stop();
    expect(child.proc.exitCode, `clean shutdown failed:\n${child.output()}`).toBe(0);
    expect(
      perRound.every((n) => n >= ACKED_BEFORE_KILL),
      `acknowledged per round: ${perRound}`,
    ).toBe(true);
    child = await startSeedChild(runner, args);
    const checked = await check(child, senders, `after the clean stop (seed ${seed})`);
    await child.stop();
    console.info(
      `logs crash test (seed ${seed}): ${ROUNDS} SIGKILLs, ${senders.acked.length} acknowledged pushes ` +
        `(${perRound.join(", ")} per round), ${senders.cut} cut by the kills, ${senders.flushes} flushes, ` +
        `${checked} acknowledged lines all read back once`,
    );
  }, 60_000);
});
