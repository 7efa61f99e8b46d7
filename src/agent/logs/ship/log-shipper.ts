/**
 * Delivery of the agent's log lines to the seed's Loki push API, losing nothing it has synced: lines
 * are encoded into log records (docs/format/agent-log-records.md) in the agent's disk queue
 * (docs/format/agent-queue.md, the one the metrics side uses), read back in order, merged into push
 * requests bounded by size and age, and sent through send lanes chosen by stream, one request in
 * flight per lane — which keeps each stream's order under retries. A queue batch is acknowledged only when every entry of it is delivered or given up
 * on for good.
 */
import { setMaxListeners } from "node:events";
import type { Logger } from "../../../lib/log/logger.js";
import { snappyCompress } from "../../../wire/snappy.js";
import {
  type DiskQueue,
  type DropReason,
  openOwnedQueue,
  type QueueBatch,
  QueueError,
} from "../../queue/index.js";
import { RemoteWriteClient } from "../../remote-write/http-client.js";
import { type ClientTls, LogLimiter, sleep } from "../../remote-write/index.js";
import { Notifier } from "../../remote-write/notifier.js";
import type { SenderDeps } from "../../remote-write/sender-deps.js";
import { type LogShipperConfig, type ResolvedLogShipperConfig, resolveLogShipperConfig } from "./config.js";
import { checkStreams, type LogStream, normalizeLabels, type StreamLabelsInput } from "./log-streams.js";
import { type BatchRef, encodePushRequest, type LaneRecord, type OutgoingPush } from "./push-batcher.js";
import {
  type IndexedRecord,
  type IndexedStream,
  indexLogRecord,
  LogRecordEncoder,
  logRecordEntryCount,
  type RefusedReason,
  StreamKeyCache,
  type StreamLabels,
} from "./record-codec.js";
import { type LaneContext, SendLane } from "./send-lane.js";
import { type ShipGaugeSource, ShipMetrics } from "./ship-metrics.js";

/** What the shipper uses from outside. */
export interface LogShipperDeps extends SenderDeps {
  /**
   * Told when the seed answers 423 (docs/api/agent-protocol.md): it switched the `logs` flow off.
   * The refused request is dropped either way; the listener may call
   * {@link LogShipper.setFlowEnabled}(false) to drop the rest too, and should stop tailing.
   */
  readonly onFlowDisabled?: (flow: "logs") => void;
}

/**
 * A stream for {@link LogShipper.appendBytes} and {@link LogShipper.appendText}, made once by
 * {@link LogShipper.lineStream}: its checked, sorted labels, or why they cannot be sent.
 */
export type LineStream = StreamLabels | string;

/** What {@link LogShipper.append} did with the entries it was given. */
export interface AppendResult {
  /** Entries written to the disk queue (durable once a later `sync()` resolved). */
  readonly queued: number;
  /** Entries dropped at once (flow off, invalid labels, too large, stopped, queue failure), counted. */
  readonly dropped: number;
}

/** Records per disk-queue read. */
const READ_RECORDS = 64;
/** Repeated errors are logged at most this often, per kind. */
const LOG_INTERVAL_MS = 10_000;
/** Disk-queue loss reasons as entry-drop reasons of the self-metrics. */
const QUEUE_DROP_REASON: Record<DropReason, string> = {
  max_bytes: "queue_full",
  corrupt: "queue_corrupt",
  torn_tail: "torn_tail",
  io_error: "io_error",
};

/**
 * The agent's log delivery. Lifecycle: `open` → `start` → `append`… → `stop`.
 *
 * **Durability contract.** `append` never waits: it encodes the entries into the disk queue's
 * buffer and returns. The tailer may persist a file position only after `await shipper.sync()`,
 * called after the `append` of every line before that position, has resolved: the lines are then on
 * disk and survive an agent crash or a power loss (in `syncMode: "never"` — tests — only a process
 * crash). Entries `append` dropped (counted) are done too: the position may move past them. If
 * `sync()` rejects, positions must not move; the agent must restart (the queue refuses appends).
 *
 * **Order.** Entries of a stream reach the seed in the order appended, retries included: streams
 * are spread over `lanes` send lanes by a hash of their labels, and each lane has one request in
 * flight at a time, retried until delivered or refused for good.
 */
export class LogShipper implements ShipGaugeSource, LaneContext {
  readonly cfg: ResolvedLogShipperConfig;
  readonly client: RemoteWriteClient;
  readonly metrics: ShipMetrics;
  readonly log: LogLimiter;
  readonly now: () => number;
  readonly random: (() => number) | undefined;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #dq: DiskQueue;
  readonly #logger: Logger;
  readonly #encoder: LogRecordEncoder;
  readonly #onFlowDisabled: ((flow: "logs") => void) | undefined;
  readonly #stopAc = new AbortController();
  /** Aborted when stopping begins: partial requests go at once. */
  readonly #flushAc = new AbortController();
  /** Aborted when discarding begins (cuts waits short); replaced when it ends. */
  #discardAc = new AbortController();
  #discarding = false;
  readonly #progress = new Notifier();
  readonly #room = new Notifier();
  readonly #lanes: SendLane[];
  #runs: Promise<void>[] | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  /** Records and entries appended since open: the mean for loss estimates. */
  #recordsSeen = 0;
  #entriesSeen = 0;
  /** Entries the encoder wrote to the queue and left out, since counted (see {@link append}). */
  #queuedNow = 0;
  #droppedNow = 0;
  /** Lines of {@link appendBytes} and {@link appendText} dropped and not yet counted, by reason. */
  readonly #lineDrops = new Map<string, number>();
  /** Stream keys of records read back, by their label tables. */
  readonly #keys = new StreamKeyCache();
  /** Where request bodies are assembled before snappy (the lanes encode one at a time). */
  #scratch: Buffer = Buffer.alloc(0);

  private constructor(cfg: ResolvedLogShipperConfig, deps: LogShipperDeps, dq: DiskQueue) {
    this.cfg = cfg;
    this.#dq = dq;
    this.#logger = deps.logger.child({ component: "logs-shipper" });
    this.metrics = ShipMetrics.for(deps.metrics);
    this.now = deps.now ?? Date.now;
    this.random = deps.random;
    this.sleep = deps.sleep ?? sleep;
    this.#onFlowDisabled = deps.onFlowDisabled;
    this.log = new LogLimiter(this.#logger, LOG_INTERVAL_MS, this.now);
    this.#encoder = new LogRecordEncoder(
      Math.min(cfg.recordBytes, dq.maxPayloadBytes),
      dq.maxPayloadBytes,
      (payload, entries) => this.#queueRecord(payload, entries),
      (reason, bytes) => this.#refused(reason, bytes),
    );
    // The remote-write client speaks the same protocol (a snappy'd protobuf POST, the same statuses).
    this.client = new RemoteWriteClient(
      cfg.pushUrl,
      cfg.tls,
      cfg.timeoutMs,
      cfg.lanes,
      cfg.userAgent,
      this.now,
      cfg.headers,
    );
    for (const s of [this.#stopAc.signal, this.#flushAc.signal, this.#discardAc.signal])
      setMaxListeners(0, s);
    this.#lanes = [];
    for (let k = 0; k < cfg.lanes; k++)
      this.#lanes.push(new SendLane(this, this.#stopAc.signal, this.#flushAc.signal, this.#room));
    this.metrics.add(this);
  }

  /**
   * Opens (recovering) the disk queue in `config.dir`; what it holds unacknowledged from an earlier
   * run is sent again once started. Throws on invalid settings (the message names the setting).
   */
  static async open(config: LogShipperConfig, deps: LogShipperDeps): Promise<LogShipper> {
    const cfg = resolveLogShipperConfig(config);
    const { queue: dq, attach } = await openOwnedQueue(cfg, deps.now);
    const self = new LogShipper(cfg, deps, dq);
    attach((reason, records, bytes) => self.#queueDropped(reason, records, bytes));
    const { pendingRecords } = dq.openReport;
    if (pendingRecords > 0) self.#logger.info("log shipper resumes", { pendingRecords });
    return self;
  }

  /**
   * Encodes `streams` into the disk queue and returns at once (see the durability contract on the
   * class). Never throws and never waits for room: a full queue drops its oldest segment, counted.
   * Streams with unusable labels (none with a value, an invalid or duplicate name) and entries too
   * large for one queue record are dropped and counted. The arrays are not kept.
   */
  append(streams: readonly LogStream[]): AppendResult {
    let total = 0;
    for (const s of streams) total += s.entries.length;
    if (total === 0) return { queued: 0, dropped: 0 };
    if (this.#stopping) return this.#dropNow("stopped", total);
    if (this.#discarding) return this.#dropNow("flow_disabled", total);
    // What the line API left in the encoder goes first, so that the counts below are this call's.
    this.#encoder.finish();
    this.#queuedNow = 0;
    this.#droppedNow = 0;
    const checked = checkStreams(streams, (entries, why) => {
      this.#droppedNow += entries;
      this.#invalidLabels(entries, why);
    });
    const enc = this.#encoder;
    for (const s of checked) {
      enc.stream(s.labels);
      for (const e of s.entries) enc.entry(e.tsNs, e.line, e.metadata);
    }
    enc.finish();
    return { queued: this.#queuedNow, dropped: this.#droppedNow };
  }

  /**
   * The stream of lines with `labels` for {@link appendBytes} and {@link appendText}: checked and
   * sorted once, to be kept by the caller and passed with every line.
   */
  lineStream(labels: StreamLabelsInput): LineStream {
    return normalizeLabels(labels);
  }

  /**
   * Appends one line of `stream` given as UTF-8 bytes `data[start, end)` (copied before returning),
   * with its time as Unix milliseconds and the nanoseconds within the millisecond. The line goes into
   * the record being written, which goes to the disk queue when full or at the next {@link sync}:
   * like {@link append}, it never waits and never throws, and drops are counted.
   */
  appendBytes(
    stream: LineStream,
    ms: number,
    subMsNanos: number,
    data: Uint8Array,
    start: number,
    end: number,
  ): void {
    if (typeof stream === "string" || this.#stopping || this.#discarding) {
      this.#dropLine(stream);
      return;
    }
    this.#encoder.stream(stream);
    this.#encoder.bytes(ms, subMsNanos, data, start, end);
  }

  /** {@link appendBytes} for a line that is a string. */
  appendText(stream: LineStream, ms: number, subMsNanos: number, line: string): void {
    if (typeof stream === "string" || this.#stopping || this.#discarding) {
      this.#dropLine(stream);
      return;
    }
    this.#encoder.stream(stream);
    this.#encoder.text(ms, subMsNanos, line);
  }

  /** A record from the encoder: into the disk queue, counted. */
  #queueRecord(payload: Uint8Array, entries: number): void {
    try {
      this.#dq.append(payload);
      this.#queuedNow += entries;
      this.#recordsSeen++;
      this.#entriesSeen += entries;
      this.metrics.queued.inc(entries);
    } catch (err: unknown) {
      this.#droppedNow += entries;
      const reason = err instanceof QueueError && err.code === "queue_bad_record" ? "too_large" : "io_error";
      this.metrics.dropped.inc({ reason }, entries);
      this.log.log("error", `append_${reason}`, "log disk queue could not take lines; dropped", {
        entries,
        err: (err as Error).message,
      });
    }
  }

  /** An entry the encoder left out. */
  #refused(reason: RefusedReason, bytes: number): void {
    this.#droppedNow++;
    this.metrics.dropped.inc({ reason });
    if (reason === "too_large") {
      this.log.log("warn", "too_large", "log line too large for the disk queue; dropped", {
        bytes,
        maxBytes: this.#dq.maxPayloadBytes,
        hint: "raise the queue's segment size",
      });
    } else {
      this.log.log(
        "warn",
        "bad_timestamp",
        "log line with a time outside 0001–9999 (Loki refuses it); dropped",
        {},
      );
    }
  }

  #invalidLabels(entries: number, why: string): void {
    this.metrics.dropped.inc({ reason: "invalid_labels" }, entries);
    this.log.log("warn", "invalid_labels", "log stream with unusable labels; its lines are dropped", {
      entries,
      why,
    });
  }

  /** A line of the line API dropped: counted at the next {@link sync} (a counter per line costs). */
  #dropLine(stream: LineStream): void {
    const reason = typeof stream === "string" ? stream : this.#stopping ? "stopped" : "flow_disabled";
    this.#lineDrops.set(reason, (this.#lineDrops.get(reason) ?? 0) + 1);
  }

  #countLineDrops(): void {
    for (const [reason, n] of this.#lineDrops) {
      if (reason === "stopped" || reason === "flow_disabled") this.#dropNow(reason, n);
      else this.#invalidLabels(n, reason);
    }
    this.#lineDrops.clear();
  }

  /**
   * Resolves once everything appended before the call is written to disk and `fdatasync`ed (unless
   * `syncMode` is `"never"`): the moment the tailer may persist the positions of those lines.
   * Rejects (`QueueError`) if a write failed or after `stop`; positions must not move then.
   */
  sync(): Promise<void> {
    this.#countLineDrops();
    this.#encoder.finish();
    return this.#dq.sync();
  }

  /** Starts the reader and the lanes. What was appended before (or left by an earlier run) is sent first. */
  start(): void {
    if (this.#runs !== undefined || this.#stopping) return;
    this.#runs = [this.#read(), ...this.#lanes.map((l) => l.run())];
  }

  /**
   * Switches the flow off or on (the registry's flow switch, or after {@link LogShipperDeps.onFlowDisabled}).
   * While off, nothing is sent or kept: what the queue holds and whatever is appended is dropped and
   * counted as `flow_disabled`; a request in flight finishes. Idempotent.
   */
  setFlowEnabled(enabled: boolean): void {
    if (enabled !== this.#discarding) return;
    this.#discarding = !enabled;
    if (this.#discarding) {
      this.#discardAc.abort();
      for (const l of this.#lanes) l.poke();
      this.#logger.warn("logs flow disabled by the seed: dropping what the queue holds, sending nothing");
    } else {
      this.#discardAc = new AbortController();
      setMaxListeners(0, this.#discardAc.signal);
      this.#logger.info("logs flow enabled again: sending");
    }
  }

  /** Whether the flow is on (see {@link setFlowEnabled}). */
  get flowEnabled(): boolean {
    return !this.#discarding;
  }

  /**
   * The mTLS identity for new connections; a request in flight finishes on its connection
   * (certificate renewal, docs/api/agent-protocol.md).
   */
  setTls(tls: ClientTls): void {
    this.client.setTls(tls);
  }

  /**
   * Stops: for at most `graceMs`, sends what is pending (partial requests at once), then aborts a
   * request in flight and closes the disk queue. What was not delivered stays on disk and is sent by
   * the next shipper opened on the same directory. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  /** For the lanes: whether to drop instead of sending. */
  discarding(): boolean {
    return this.#discarding;
  }

  /** For the lanes: aborts when discarding begins. */
  discardSignal(): AbortSignal {
    return this.#discardAc.signal;
  }

  /** For the lanes: the seed answered 423. */
  flowDisabled(): void {
    this.#onFlowDisabled?.("logs");
  }

  /** Records appended and not acknowledged (those in flight included). */
  get pendingRecords(): number {
    return this.#dq.stats.pendingRecords;
  }

  /** Entries read from the disk queue and waiting in the lanes, not yet in a request. */
  get bufferedEntries(): number {
    let n = 0;
    for (const l of this.#lanes) n += l.entries;
    return n;
  }

  /** For the self-metrics: bytes of the disk queue and records pending in it. */
  depth(): { bytes: number; records: number } {
    const st = this.#dq.stats;
    return { bytes: st.bytes, records: st.pendingRecords };
  }

  /** For the self-metrics: seconds since the oldest record not yet acknowledged was appended. */
  async oldestUnsentAgeSeconds(): Promise<number> {
    if (this.#stopping) return 0;
    try {
      const t = await this.#dq.oldestPendingAppendedAt();
      return t === undefined ? 0 : Math.max(0, (this.now() - t) / 1000);
    } catch {
      return 0;
    }
  }

  #dropNow(reason: string, entries: number): AppendResult {
    this.metrics.dropped.inc({ reason }, entries);
    return { queued: 0, dropped: entries };
  }

  #queueDropped(reason: DropReason, records: number, bytes: number): void {
    this.metrics.recordsDropped.inc({ reason }, records);
    // Dropped records are not read, so their entry count is estimated from the mean.
    const entries =
      this.#recordsSeen === 0 ? 0 : Math.round((records * this.#entriesSeen) / this.#recordsSeen);
    this.metrics.dropped.inc({ reason: QUEUE_DROP_REASON[reason] }, entries);
    this.log.log("warn", `queue_${reason}`, "log disk queue lost records", {
      reason,
      records,
      bytes,
      entriesEstimated: entries,
    });
  }

  /** The reader: hands records to the lanes while each holds less than a request's worth. */
  async #read(): Promise<void> {
    const stop = this.#stopAc.signal;
    const max = this.cfg.batchSizeBytes;
    const limit = max * this.#lanes.length;
    while (!stop.aborted) {
      // A lane holding a full request already waits on the seed: reading on would only grow its
      // buffer (each lane's is then at most a request and a record).
      let buffered = 0;
      let laneFull = false;
      for (const l of this.#lanes) {
        buffered += l.bytes;
        if (l.bytes >= max) laneFull = true;
      }
      if (buffered >= limit || laneFull) {
        await this.#room.wait(stop);
        continue;
      }
      // Transient: the lanes copy what they take before the next read reuses the records' buffer.
      const b = await this.#dq.read(READ_RECORDS, max, { signal: stop, transient: true });
      if (b === undefined) break;
      this.#dispatch(b);
    }
  }

  /** Indexes a queue batch's records and hands each stream to its lane (or drops it while the flow is off). */
  #dispatch(b: QueueBatch): void {
    const ref: BatchRef = { token: b.token, open: 0 };
    const lanes = this.#lanes;
    const n = lanes.length;
    for (let i = 0; i < b.records.length; i++) {
      const payload = b.records[i]!;
      let rec: IndexedRecord;
      try {
        rec = indexLogRecord(payload, this.#keys);
      } catch (err: unknown) {
        this.#badRecord(payload, err);
        continue;
      }
      if (rec.entries === 0) continue;
      if (this.#discarding) {
        this.metrics.dropped.inc({ reason: "flow_disabled" }, rec.entries);
        continue;
      }
      ref.open += rec.entries;
      const at = b.appendedAt[i]!;
      if (n === 1) {
        lanes[0]!.add(rec, ref, at);
        continue;
      }
      const parts: { payload: Uint8Array; entries: number; streams: IndexedStream[] }[] = [];
      for (const s of rec.streams) {
        const k = s.key.hash % n;
        let part = parts[k];
        if (part === undefined) {
          part = { payload: rec.payload, entries: 0, streams: [] };
          parts[k] = part;
        }
        part.streams.push(s);
        part.entries += s.entries;
      }
      for (let k = 0; k < n; k++) {
        const part: LaneRecord | undefined = parts[k];
        if (part !== undefined && part.entries > 0) lanes[k]!.add(part, ref, at);
      }
    }
    // Every entry of the batch is counted in `ref.open` before any lane can finish one.
    if (ref.open === 0) this.#ack(ref);
  }

  /** For the lanes: the snappy'd protobuf body of a request. */
  body(push: OutgoingPush): Uint8Array {
    const raw = encodePushRequest(push, this.#scratch);
    if (raw.length > this.#scratch.length) this.#scratch = raw;
    return snappyCompress(raw);
  }

  #badRecord(payload: Uint8Array, err: unknown): void {
    let entries = 0;
    try {
      entries = logRecordEntryCount(payload);
    } catch {
      // The header is damaged too: one record of unknown size is lost.
    }
    this.metrics.recordsDropped.inc({ reason: "bad_record" });
    this.metrics.dropped.inc({ reason: "bad_record" }, entries);
    this.log.log("error", "bad_record", "log record in the disk queue cannot be decoded; dropped", {
      entries,
      err: err instanceof Error ? err.message : String(err),
    });
  }

  /** For the lanes: marks entries done per batch; acknowledges the batches left with none open. */
  done(from: Map<BatchRef, number>): void {
    for (const [ref, n] of from) {
      ref.open -= n;
      if (ref.open === 0) this.#ack(ref);
    }
  }

  #ack(ref: BatchRef): void {
    this.#dq.ack(ref.token);
    this.#progress.notify();
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#runs !== undefined) {
      const grace = new AbortController();
      const timer = setTimeout(() => grace.abort(), graceMs);
      this.#flushAc.abort();
      while (this.#dq.stats.pendingRecords > 0 && !grace.signal.aborted)
        await this.#progress.wait(grace.signal);
      clearTimeout(timer);
    }
    this.#stopAc.abort();
    await Promise.all(this.#runs ?? []);
    this.metrics.remove(this);
    const pending = this.#dq.stats.pendingRecords;
    await this.#dq.close();
    this.client.close();
    if (pending > 0) this.#logger.warn("log shipper stopped with records left on disk", { records: pending });
  }
}
