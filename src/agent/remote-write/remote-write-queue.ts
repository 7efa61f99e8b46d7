/**
 * Delivery to one remote-write destination that loses nothing it has synced: scraped batches are
 * encoded into records of the agent's disk queue (docs/format/agent-queue-records.md), read back
 * in order, split by series hash into shard lanes, and sent as remote-write 1.0 or 2.0 requests;
 * a record is acknowledged in the disk queue only when every sample of it was delivered or refused
 * for good. The number of lanes follows the incoming rate, the send rate and the backlog.
 */
import { setMaxListeners } from "node:events";
import type { Logger } from "../../lib/log/logger.js";
import {
  type DiskQueue,
  type DropReason,
  openOwnedQueue,
  type QueueBatch,
  QueueError,
} from "../queue/index.js";
import type { SampleBatch } from "../sample-batch.js";
import { type RemoteWriteQueueConfig, type ResolvedConfig, resolveConfig } from "./config.js";
import { RemoteWriteClient } from "./http-client.js";
import type { ClientTls } from "./identity-agent.js";
import { LogLimiter } from "./log-limiter.js";
import { Notifier, sleep } from "./notifier.js";
import { type Part, type ReadBatch, splitRecord } from "./parts.js";
import { type QueueGaugeSource, QueueMetrics } from "./queue-metrics.js";
import { decodeRecord, RecordEncoder, recordSampleCount } from "./record-codec.js";
import { type RemoteWriteVersion, RequestEncoder } from "./request-encoder.js";
import type { SenderDeps } from "./sender-deps.js";
import { Shard, type ShardContext } from "./shard.js";
import { ShardPlanner } from "./shard-planner.js";

/** What the queue uses from outside. */
export interface RemoteWriteQueueDeps extends SenderDeps {
  /**
   * Told when the remote answers 423 for `flow` (docs/api/agent-protocol.md): the seed switched the
   * flow off. The refused batch is dropped either way; the listener may call
   * {@link RemoteWriteQueue.setFlowEnabled} to drop the rest too. Called synchronously from a lane.
   */
  readonly onFlowDisabled?: (flow: string) => void;
}

/** Records per disk-queue read, and their bytes: a read is a few scrapes' worth. */
const READ_RECORDS = 64;
const READ_BYTES = 4 * 1024 * 1024;
/** Repeated errors are logged at most this often, per kind. */
const LOG_INTERVAL_MS = 10_000;
/** Disk-queue loss reasons as sample-drop reasons of the self-metrics. */
const DROP_REASON: Record<DropReason, string> = {
  max_bytes: "queue_full",
  corrupt: "queue_corrupt",
  torn_tail: "torn_tail",
  io_error: "io_error",
};

/**
 * One destination's queue. Lifecycle: `open` → `start` → `append`… → `stop`. `append` works from
 * `open` on (what is appended before `start` waits on disk) and never waits for the network.
 */
export class RemoteWriteQueue implements QueueGaugeSource, ShardContext {
  readonly cfg: ResolvedConfig;
  readonly encoder = new RequestEncoder();
  readonly client: RemoteWriteClient;
  readonly metrics: QueueMetrics;
  readonly planner: ShardPlanner;
  readonly log: LogLimiter;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #logger: Logger;
  readonly #onFlowDisabled: ((flow: string) => void) | undefined;
  readonly #dq: DiskQueue;
  readonly #records = new RecordEncoder();
  #version: RemoteWriteVersion;
  #lanes: Shard[] = [];
  #laneRuns: Promise<void>[] = [];
  #laneStop = new AbortController();
  readonly #readStop = new AbortController();
  #readLoop: Promise<void> | undefined;
  readonly #idle = new Notifier();
  readonly #room = new Notifier();
  readonly #progress = new Notifier();
  #timer: NodeJS.Timeout | undefined;
  #desired: number;
  #resharding = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  /** The flow is off: drop everything, send nothing. */
  #discarding = false;
  /** Aborted when discarding begins (cuts lanes' retry waits short); replaced when it ends. */
  #discardAc = new AbortController();
  /** Samples handed to lanes and not yet done. */
  #buffered = 0;
  /** Records of read batches not yet acknowledged. */
  #inflightRecords = 0;
  /** Records and samples appended since open, and read: the mean for loss estimates. */
  #recordsSeen = 0;
  #samplesSeen = 0;
  #recordsRead = 0;
  #samplesRead = 0;

  private constructor(cfg: ResolvedConfig, deps: RemoteWriteQueueDeps, dq: DiskQueue) {
    this.cfg = cfg;
    this.#dq = dq;
    this.#logger = deps.logger.child({ remote: cfg.name });
    this.#onFlowDisabled = deps.onFlowDisabled;
    setMaxListeners(0, this.#discardAc.signal);
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? sleep;
    this.metrics = QueueMetrics.for(deps.metrics);
    this.planner = new ShardPlanner(cfg.minShards, cfg.maxShards, cfg.shardUpdateIntervalMs);
    this.log = new LogLimiter(this.#logger, LOG_INTERVAL_MS, this.now);
    this.client = new RemoteWriteClient(
      cfg.url,
      cfg.tls,
      cfg.timeoutMs,
      cfg.maxShards,
      cfg.userAgent,
      this.now,
      cfg.headers,
    );
    this.#version = cfg.version;
    this.#desired = cfg.minShards;
    this.metrics.add(this);
  }

  /**
   * Opens (recovering) the disk queue in `config.dir`; what it holds unacknowledged from an earlier
   * run is sent again once started. Throws on invalid settings (the message names the setting).
   */
  static async open(config: RemoteWriteQueueConfig, deps: RemoteWriteQueueDeps): Promise<RemoteWriteQueue> {
    const cfg = resolveConfig(config);
    const { queue: dq, attach } = await openOwnedQueue(cfg, deps.now);
    const self = new RemoteWriteQueue(cfg, deps, dq);
    attach((reason, records, bytes) => self.#queueDropped(reason, records, bytes));
    const { pendingRecords } = dq.openReport;
    if (pendingRecords > 0) self.#logger.info("remote-write queue resumes", { pendingRecords });
    return self;
  }

  /** The destination's name (the `remote` label). */
  get name(): string {
    return this.cfg.name;
  }

  /** The message version sent now (2.0 until a 415 made the queue fall back to 1.0). */
  version(): RemoteWriteVersion {
    return this.#version;
  }

  /** After a 415 to 2.0: 1.0 for every later request of this queue, until restart. */
  fallBackToV1(): void {
    if (this.#version === "1.0") return;
    this.#version = "1.0";
    this.#logger.warn("remote refused remote-write 2.0 (415); sending 1.0 from now on", {
      url: this.cfg.url,
    });
  }

  /**
   * Switches the flow off or on. While off, nothing is sent or kept: what the queue holds (on disk and
   * in lanes) and whatever is appended is dropped and counted as `flow_disabled`; a request in flight
   * finishes. On again, appended batches are sent as usual. Idempotent.
   */
  setFlowEnabled(enabled: boolean): void {
    if (enabled !== this.#discarding) return;
    this.#discarding = !enabled;
    if (this.#discarding) {
      this.#discardAc.abort();
      for (const l of this.#lanes) l.poke();
      this.#room.notify();
      this.#logger.warn("flow disabled by the seed: dropping what the queue holds, sending nothing");
    } else {
      this.#discardAc = new AbortController();
      setMaxListeners(0, this.#discardAc.signal);
      this.#logger.info("flow enabled again: sending");
    }
  }

  /** Whether the flow is on (see {@link setFlowEnabled}). */
  get flowEnabled(): boolean {
    return !this.#discarding;
  }

  /** For the lanes: whether to drop instead of sending. */
  discarding(): boolean {
    return this.#discarding;
  }

  /** For the lanes: aborts when discarding begins. */
  discardSignal(): AbortSignal {
    return this.#discardAc.signal;
  }

  /** For the lanes: the remote answered 423. */
  flowDisabled(flow: string): void {
    this.#onFlowDisabled?.(flow);
  }

  /**
   * The mTLS identity for new connections; requests in flight finish on their connections, so
   * delivery does not pause (docs/api/agent-protocol.md, certificate renewal).
   */
  setTls(tls: ClientTls): void {
    this.client.setTls(tls);
  }

  /**
   * Encodes `batch` into disk-queue records and appends them; never blocks and never throws for
   * lack of room (the oldest records are dropped and counted). The arrays are not kept. Samples
   * are durable once the disk queue's next periodic sync ran (`syncIntervalMs`).
   */
  append(batch: SampleBatch): void {
    const n = batch.length;
    if (n === 0) return;
    const remote = this.cfg.name;
    if (this.#stopping) {
      this.metrics.dropped.inc({ remote, reason: "stopped" }, n);
      return;
    }
    if (this.#discarding) {
      this.metrics.dropped.inc({ remote, reason: "flow_disabled" }, n);
      return;
    }
    let maxT = Number.NEGATIVE_INFINITY;
    const ts = batch.timestamps;
    for (let i = 0; i < n; i++) if (ts[i]! > maxT) maxT = ts[i]!;
    const step = this.cfg.maxSamplesPerRecord;
    for (let from = 0; from < n; from += step) {
      const to = Math.min(n, from + step);
      try {
        this.#dq.append(this.#records.encode(batch, from, to));
        this.#recordsSeen++;
        this.#samplesSeen += to - from;
      } catch (err: unknown) {
        const reason =
          err instanceof QueueError && err.code === "queue_bad_record" ? "too_large" : "io_error";
        this.metrics.dropped.inc({ remote, reason }, to - from);
        this.log.log("error", `append_${reason}`, "remote-write queue could not take samples; dropped", {
          remote,
          samples: to - from,
          err: (err as Error).message,
        });
      }
    }
    this.planner.appended(n, maxT);
  }

  /** Starts the reader, `minShards` lanes and the shard re-evaluation timer. */
  start(): void {
    if (this.#readLoop !== undefined || this.#stopping) return;
    this.#startLanes(this.cfg.minShards);
    this.#readLoop = this.#read();
    this.#timer = setInterval(() => this.#evaluateShards(), this.cfg.shardUpdateIntervalMs);
    this.#timer.unref();
  }

  /**
   * Stops: for at most `graceMs`, sends what is pending (partial batches at once), then aborts
   * requests in flight and closes the disk queue. What was not delivered stays on disk and is sent
   * by the next queue opened on the same directory. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  /** Samples pending (appended, not delivered or dropped); estimated for records of an earlier run. */
  get pendingSamples(): number {
    return this.depth().samples;
  }

  /** For the self-metrics: bytes of the disk queue and samples pending. */
  depth(): { bytes: number; samples: number } {
    const st = this.#dq.stats;
    const unread = Math.max(0, st.pendingRecords - this.#inflightRecords);
    return { bytes: st.bytes, samples: Math.round(this.#buffered + unread * this.#samplesPerRecord()) };
  }

  /** For the self-metrics: seconds since the oldest pending record was appended. */
  async oldestUnsentAgeSeconds(): Promise<number> {
    if (this.#stopping) return 0;
    try {
      const t = await this.#dq.oldestPendingAppendedAt();
      return t === undefined ? 0 : Math.max(0, (this.now() - t) / 1000);
    } catch {
      return 0;
    }
  }

  /** For the self-metrics: lanes running and the last evaluation's wish. */
  shards(): { current: number; desired: number } {
    return { current: this.#lanes.length, desired: this.#desired };
  }

  /** Called by a lane when `samples` of `part` are done; acknowledges the read batch when complete. */
  partDone(part: Part, samples: number): void {
    this.#buffered -= samples;
    this.#room.notify();
    if (part.done === part.order.length && --part.batch.open === 0) this.#ack(part.batch);
  }

  #ack(batch: ReadBatch): void {
    this.#dq.ack(batch.token);
    this.#inflightRecords -= batch.records;
    this.#progress.notify();
  }

  #samplesPerRecord(): number {
    if (this.#recordsSeen > 0) return this.#samplesSeen / this.#recordsSeen;
    return this.#recordsRead === 0 ? 0 : this.#samplesRead / this.#recordsRead;
  }

  #queueDropped(reason: DropReason, records: number, bytes: number): void {
    const remote = this.cfg.name;
    this.metrics.recordsDropped.inc({ remote, reason }, records);
    // Dropped records are not read, so their sample count is estimated from the mean.
    const samples = Math.round(records * this.#samplesPerRecord());
    this.metrics.dropped.inc({ remote, reason: DROP_REASON[reason] }, samples);
    this.log.log("warn", `queue_${reason}`, "remote-write disk queue lost records", {
      remote,
      reason,
      records,
      bytes,
      samplesEstimated: samples,
    });
  }

  #startLanes(n: number): void {
    this.#laneStop = new AbortController();
    // Every lane, its request in flight and its waits listen on this one signal.
    setMaxListeners(0, this.#laneStop.signal);
    this.#lanes = [];
    for (let k = 0; k < n; k++) this.#lanes.push(new Shard(this, this.#laneStop.signal, this.#idle));
    this.#laneRuns = this.#lanes.map((l) => l.run());
  }

  async #read(): Promise<void> {
    const signal = this.#readStop.signal;
    while (!signal.aborted) {
      if (this.#resharding || this.#buffered >= this.cfg.capacity * this.#lanes.length) {
        await this.#room.wait(signal);
        continue;
      }
      const b = await this.#dq.read(READ_RECORDS, READ_BYTES, { signal });
      if (b === undefined) break;
      this.#dispatch(b);
    }
  }

  #dispatch(b: QueueBatch): void {
    const batch: ReadBatch = { token: b.token, records: b.records.length, open: 0 };
    this.#inflightRecords += b.records.length;
    if (this.#discarding) {
      this.#discardRead(b.records);
      this.#ack(batch);
      return;
    }
    const n = this.#lanes.length;
    const out: { lane: number; part: Part }[] = [];
    for (const payload of b.records) {
      let rec: ReturnType<typeof decodeRecord>;
      try {
        rec = decodeRecord(payload);
      } catch (err: unknown) {
        this.#badRecord(payload, err);
        continue;
      }
      this.#recordsRead++;
      this.#samplesRead += rec.samples;
      const parts = splitRecord(rec, batch, n);
      for (let k = 0; k < n; k++) {
        const part = parts[k];
        if (part === undefined) continue;
        batch.open++;
        out.push({ lane: k, part });
      }
    }
    for (const { lane, part } of out) {
      this.#buffered += part.order.length;
      this.#lanes[lane]!.enqueue(part);
    }
    if (batch.open === 0) this.#ack(batch);
  }

  /** Drops records read while the flow is off, counting their samples. */
  #discardRead(records: readonly Uint8Array[]): void {
    let samples = 0;
    for (const payload of records) {
      try {
        samples += recordSampleCount(payload);
      } catch {
        // A damaged header: the record's size is unknown.
      }
    }
    this.metrics.dropped.inc({ remote: this.cfg.name, reason: "flow_disabled" }, samples);
  }

  #badRecord(payload: Uint8Array, err: unknown): void {
    let samples = 0;
    try {
      samples = recordSampleCount(payload);
    } catch {
      // The header is damaged too: the loss is one record of unknown size.
    }
    const remote = this.cfg.name;
    this.metrics.recordsDropped.inc({ remote, reason: "bad_record" });
    this.metrics.dropped.inc({ remote, reason: "bad_record" }, samples);
    this.log.log("error", "bad_record", "remote-write queue record cannot be decoded; dropped", {
      remote,
      samples,
      err: err instanceof Error ? err.message : String(err),
    });
  }

  #evaluateShards(): void {
    const n = this.#lanes.length;
    this.#desired = this.planner.evaluate(n, this.now());
    if (this.#desired !== n && !this.#resharding && !this.#stopping) void this.#reshard(this.#desired);
  }

  /**
   * Changes the number of lanes. The reader pauses and every lane sends what it holds first:
   * with nothing in flight, moving a series to another lane cannot reorder it.
   */
  async #reshard(to: number): Promise<void> {
    this.#resharding = true;
    for (const l of this.#lanes) l.setFlush(true);
    while (!this.#stopping && !this.#lanes.every((l) => l.isIdle))
      await this.#idle.wait(this.#readStop.signal);
    if (!this.#stopping) {
      const from = this.#lanes.length;
      this.#laneStop.abort();
      await Promise.all(this.#laneRuns);
      if (!this.#stopping) {
        this.#startLanes(to);
        this.#logger.info("remote-write resharded", { from, to });
      }
    }
    this.#resharding = false;
    this.#room.notify();
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    if (this.#readLoop !== undefined) {
      const grace = new AbortController();
      const timer = setTimeout(() => grace.abort(), graceMs);
      for (const l of this.#lanes) l.setFlush(true);
      this.#room.notify();
      while (this.#dq.stats.pendingRecords > 0 && !grace.signal.aborted)
        await this.#progress.wait(grace.signal);
      clearTimeout(timer);
    }
    this.#readStop.abort();
    this.#laneStop.abort();
    this.#idle.notify();
    await this.#readLoop;
    await Promise.all(this.#laneRuns);
    this.metrics.remove(this);
    const pending = this.#dq.stats.pendingRecords;
    await this.#dq.close();
    this.client.close();
    if (pending > 0)
      this.#logger.warn("remote-write queue stopped with records left on disk", { records: pending });
  }
}
