/**
 * One shard lane: a FIFO of parts, sent as requests of up to `maxSamplesPerSend` samples one at a
 * time, each retried until it is delivered, refused for good, or the queue stops. One request in
 * flight per lane is what keeps per-series order.
 */
import type { Histogram } from "prom-client";
import { snappyCompress } from "../../wire/snappy.js";
import type { ResolvedConfig } from "./config.js";
import type { RemoteWriteClient } from "./http-client.js";
import type { LogLimiter } from "./log-limiter.js";
import { Notifier, sleep } from "./notifier.js";
import type { Part } from "./parts.js";
import type { QueueMetrics } from "./queue-metrics.js";
import type { RemoteWriteVersion, RequestEncoder, Slice } from "./request-encoder.js";
import { Backoff } from "./retry.js";
import type { ShardPlanner } from "./shard-planner.js";

/** What a shard needs from its queue. */
export interface ShardContext {
  readonly cfg: ResolvedConfig;
  readonly encoder: RequestEncoder;
  readonly client: RemoteWriteClient;
  readonly metrics: QueueMetrics;
  readonly planner: ShardPlanner;
  readonly log: LogLimiter;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The message version to send now; {@link ShardContext.fallBackToV1} changes it for every shard. */
  version(): RemoteWriteVersion;
  fallBackToV1(): void;
  /** `samples` of `part` were delivered or dropped; the queue acknowledges its batch when complete. */
  partDone(part: Part, samples: number): void;
  /** While true, lanes drop what they hold (counted `flow_disabled`) instead of sending it. */
  discarding(): boolean;
  /** Aborts when discarding begins, cutting a retry's wait short. */
  discardSignal(): AbortSignal;
  /** The remote answered 423 for `flow` (the seed switched it off). */
  flowDisabled(flow: string): void;
}

/** A lane; `run()` is its loop, ended by the `stop` signal. */
export class Shard {
  readonly #parts: Part[] = [];
  readonly #wake = new Notifier();
  readonly #backoff: Backoff;
  /** Samples enqueued and not yet taken into a request. */
  #pending = 0;
  /** When the oldest pending part was enqueued (ctx.now()). */
  #oldestAt = 0;
  #sending = false;
  /** Send partial batches at once (stop, resharding). */
  #flush = false;
  readonly #histogram: Histogram<"remote" | "outcome">;

  constructor(
    private readonly ctx: ShardContext,
    /** Ends the loop and aborts a request in flight or a backoff. */
    private readonly stop: AbortSignal,
    /** Told when the lane becomes idle. */
    private readonly idle: Notifier,
  ) {
    this.#backoff = new Backoff(
      ctx.cfg.minBackoffMs,
      ctx.cfg.maxBackoffMs,
      ctx.cfg.maxRetryAfterMs,
      ctx.random,
    );
    this.#histogram = ctx.metrics.sendDuration;
    stop.addEventListener("abort", () => this.#wake.notify(), { once: true });
  }

  /** Nothing waiting and nothing in flight. */
  get isIdle(): boolean {
    return this.#pending === 0 && !this.#sending;
  }

  /** Samples waiting to be taken into a request. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues `part` behind the others. */
  enqueue(part: Part): void {
    if (this.#pending === 0) this.#oldestAt = this.ctx.now();
    this.#parts.push(part);
    this.#pending += part.order.length;
    this.#wake.notify();
  }

  /** While set, partial batches are sent without waiting for the deadline. */
  setFlush(on: boolean): void {
    this.#flush = on;
    if (on) this.#wake.notify();
  }

  /** Wakes the loop so that it looks at the queue's state again (discarding began). */
  poke(): void {
    this.#wake.notify();
  }

  /** The loop: runs until the stop signal. */
  async run(): Promise<void> {
    const max = this.ctx.cfg.maxSamplesPerSend;
    while (!this.stop.aborted) {
      if (this.#pending === 0) {
        this.idle.notify();
        await this.#wake.wait(this.stop);
        continue;
      }
      if (this.ctx.discarding()) {
        this.#discard(this.#take(this.#pending));
        continue;
      }
      if (this.#pending < max && !this.#flush) {
        const wait = this.#oldestAt + this.ctx.cfg.batchSendDeadlineMs - this.ctx.now();
        if (wait > 0) {
          const ac = new AbortController();
          const signal = AbortSignal.any([this.stop, ac.signal]);
          await Promise.race([this.#wake.wait(signal), sleep(wait, signal)]);
          ac.abort();
          continue;
        }
      }
      const slices = this.#take(max);
      this.#sending = true;
      try {
        await this.#send(slices);
      } finally {
        this.#sending = false;
      }
    }
  }

  /** Up to `max` samples from the front parts. */
  #take(max: number): Slice[] {
    const slices: Slice[] = [];
    let room = max;
    for (const p of this.#parts) {
      if (room === 0) break;
      const left = p.order.length - p.taken;
      if (left === 0) continue;
      const n = Math.min(left, room);
      slices.push({ rec: p.rec, order: p.order, from: p.taken, to: p.taken + n });
      p.taken += n;
      room -= n;
    }
    const taken = max - room;
    this.#pending -= taken;
    if (this.#pending > 0) this.#oldestAt = this.ctx.now();
    return slices;
  }

  /** Sends `slices` until delivered or refused; on stop, leaves them undone (they stay on disk). */
  async #send(slices: Slice[]): Promise<void> {
    const { ctx } = this;
    const remote = ctx.cfg.name;
    let samples = 0;
    for (const s of slices) samples += s.to - s.from;
    let version = ctx.version();
    let body = snappyCompress(ctx.encoder.encode(version, slices));
    let maxT = ctx.encoder.maxTimestamp;
    for (;;) {
      if (this.stop.aborted) return;
      if (ctx.discarding()) {
        this.#discard(slices);
        return;
      }
      const t0 = performance.now();
      const outcome = await ctx.client.post(body, version, this.stop);
      const seconds = (performance.now() - t0) / 1000;
      if (this.stop.aborted) return;
      if (outcome.kind === "sent") {
        this.#histogram.observe({ remote, outcome: "sent" }, seconds);
        ctx.metrics.sent.inc({ remote }, samples);
        ctx.metrics.bytesSent.inc({ remote }, body.length);
        ctx.planner.sent(samples, seconds, maxT, ctx.now());
        this.#backoff.reset();
        this.#finish(slices);
        return;
      }
      if (outcome.kind === "flow_disabled") {
        this.#histogram.observe({ remote, outcome: "refused" }, seconds);
        ctx.log.log(
          "warn",
          "flow_disabled",
          "the seed has switched this flow off (423); dropping, not buffering",
          {
            remote,
            flow: outcome.flow,
            message: outcome.message,
          },
        );
        ctx.flowDisabled(outcome.flow);
        this.#backoff.reset();
        this.#discard(slices);
        return;
      }
      if (outcome.kind === "refused") {
        this.#histogram.observe({ remote, outcome: "refused" }, seconds);
        if (outcome.status === 415 && version === "2.0" && ctx.cfg.fallbackToV1) {
          ctx.fallBackToV1();
          ctx.metrics.retried.inc({ remote, reason: "http_415_fallback" }, samples);
          version = ctx.version();
          body = snappyCompress(ctx.encoder.encode(version, slices));
          maxT = ctx.encoder.maxTimestamp;
          continue;
        }
        ctx.metrics.dropped.inc({ remote, reason: "http_4xx" }, samples);
        ctx.planner.dropped(samples);
        ctx.log.log(
          "error",
          `refused_${outcome.status}`,
          "remote-write refused a request; its samples are dropped (not retryable)",
          {
            remote,
            status: outcome.status,
            samples,
            message: outcome.message,
          },
        );
        this.#backoff.reset();
        this.#finish(slices);
        return;
      }
      this.#histogram.observe({ remote, outcome: "retry" }, seconds);
      ctx.metrics.retried.inc({ remote, reason: outcome.reason }, samples);
      const wait = this.#backoff.next(outcome.retryAfterMs);
      ctx.log.log("warn", `retry_${outcome.reason}`, "remote-write failed; will retry", {
        remote,
        reason: outcome.reason,
        status: outcome.status,
        message: outcome.message,
        retryInMs: Math.round(wait),
      });
      await ctx.sleep(wait, AbortSignal.any([this.stop, ctx.discardSignal()]));
    }
  }

  /** Drops `slices` (the seed does not want this flow now), counted `flow_disabled`. */
  #discard(slices: Slice[]): void {
    let samples = 0;
    for (const s of slices) samples += s.to - s.from;
    if (samples === 0) return;
    const remote = this.ctx.cfg.name;
    this.ctx.metrics.dropped.inc({ remote, reason: "flow_disabled" }, samples);
    this.ctx.planner.dropped(samples);
    this.#finish(slices);
  }

  /** Marks the slices' samples done; drops fully done parts from the front. */
  #finish(slices: Slice[]): void {
    let k = 0;
    for (const s of slices) {
      while (this.#parts[k]!.order !== s.order) k++;
      const p = this.#parts[k]!;
      const n = s.to - s.from;
      p.done += n;
      this.ctx.partDone(p, n);
    }
    let front = 0;
    while (front < this.#parts.length && this.#parts[front]!.done === this.#parts[front]!.order.length)
      front++;
    if (front > 0) this.#parts.splice(0, front);
  }
}
