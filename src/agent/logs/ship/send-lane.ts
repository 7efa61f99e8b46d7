/**
 * One send lane of the log shipper: a FIFO of records (the streams that hash to it), cut into
 * push requests by size and age and sent one at a time, each retried until it is delivered or
 * refused for good. One request in flight per lane, and a stream always in the same lane, is what
 * keeps each stream's order.
 */
import type { PostOutcome, RemoteWriteClient } from "../../remote-write/http-client.js";
import type { LogLimiter } from "../../remote-write/log-limiter.js";
import { Notifier } from "../../remote-write/notifier.js";
import { Backoff } from "../../remote-write/retry.js";
import type { ResolvedLogShipperConfig } from "./config.js";
import { type BatchRef, type LaneRecord, type OutgoingPush, PushBatcher } from "./push-batcher.js";

/**
 * A request being sent: its body and what to count and acknowledge once it is done. It holds no
 * reference to the records the body was copied from, so they are freed while it is in flight.
 */
interface Sending {
  readonly body: Uint8Array;
  readonly entries: number;
  readonly bytes: number;
  readonly from: Map<BatchRef, number>;
}

import { type ShipMetrics, statusClass } from "./ship-metrics.js";

/** What a lane needs from its shipper. */
export interface LaneContext {
  readonly cfg: ResolvedLogShipperConfig;
  readonly client: RemoteWriteClient;
  readonly metrics: ShipMetrics;
  readonly log: LogLimiter;
  readonly now: () => number;
  readonly random: (() => number) | undefined;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** While true, lanes drop what they hold (counted `flow_disabled`) instead of sending it. */
  discarding(): boolean;
  /** Aborts when discarding begins, cutting waits short. */
  discardSignal(): AbortSignal;
  /** The seed answered 423. */
  flowDisabled(): void;
  /** Entries of batches are done (delivered, refused or dropped). */
  done(from: Map<BatchRef, number>): void;
  /** The request body of `push`: snappy'd protobuf, owned by the caller (the lane copies it). */
  body(push: OutgoingPush): Uint8Array;
}

/** A lane; `run()` is its loop, ended by the `stop` signal. */
export class SendLane {
  readonly #batcher = new PushBatcher();
  readonly #wake = new Notifier();
  readonly #backoff: Backoff;
  #sending = false;
  /** Holds the body of the lane's request (one at a time); see {@link SendLane.#encode}. */
  #body = new Uint8Array(0);

  constructor(
    private readonly ctx: LaneContext,
    /** Ends the loop and aborts a request in flight or a wait. */
    private readonly stop: AbortSignal,
    /** Aborted when stopping begins: partial requests go at once. */
    private readonly flush: AbortSignal,
    /** Told whenever the lane took entries out (room to read more). */
    private readonly room: Notifier,
  ) {
    this.#backoff = new Backoff(
      ctx.cfg.minBackoffMs,
      ctx.cfg.maxBackoffMs,
      ctx.cfg.maxRetryAfterMs,
      ctx.random,
    );
    const wake = () => this.#wake.notify();
    stop.addEventListener("abort", wake, { once: true });
    flush.addEventListener("abort", wake, { once: true });
  }

  /** Bytes of lines waiting in the lane (not yet in a request). */
  get bytes(): number {
    return this.#batcher.bytes;
  }

  /** Entries waiting in the lane (not yet in a request). */
  get entries(): number {
    return this.#batcher.entries;
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.#batcher.entries === 0 && !this.#sending;
  }

  /** Queues a record (its streams of this lane) of batch `ref`. */
  add(rec: LaneRecord, ref: BatchRef, appendedAt: number): void {
    this.#batcher.add(rec, ref, appendedAt);
    this.#wake.notify();
  }

  /** Wakes the loop to look at the shipper's state again (discarding began). */
  poke(): void {
    this.#wake.notify();
  }

  /** The loop: runs until the stop signal. */
  async run(): Promise<void> {
    const { ctx, stop } = this;
    const batcher = this.#batcher;
    const max = ctx.cfg.batchSizeBytes;
    while (!stop.aborted) {
      if (batcher.entries === 0) {
        await this.#wake.wait(stop);
        continue;
      }
      if (ctx.discarding()) {
        this.#drop(batcher.takeAll(), "flow_disabled");
        continue;
      }
      if (batcher.bytes < max && !this.flush.aborted) {
        const wait = batcher.oldestAppendedAt! + ctx.cfg.batchWaitMs - ctx.now();
        if (wait > 0) {
          const ac = new AbortController();
          const signal = AbortSignal.any([stop, this.flush, ctx.discardSignal(), ac.signal]);
          await Promise.race([this.#wake.wait(signal), ctx.sleep(wait, signal)]);
          ac.abort();
          continue;
        }
      }
      const sending = this.#encode(batcher.take(max)!);
      this.room.notify();
      this.#sending = true;
      try {
        await this.#send(sending);
      } finally {
        this.#sending = false;
      }
    }
  }

  #encode(push: OutgoingPush): Sending {
    // Into the lane's own buffer, reused from request to request: the compressor's output is then
    // garbage at once and dies young, where a body kept through a slow request would be promoted and
    // wait for a full collection to be freed.
    const compressed = this.ctx.body(push);
    if (compressed.length > this.#body.length)
      this.#body = new Uint8Array(Math.ceil(compressed.length * 1.25));
    this.#body.set(compressed);
    const body = this.#body.subarray(0, compressed.length);
    return { body, entries: push.entries, bytes: push.bytes, from: push.from };
  }

  /** Sends `push` until it is delivered or refused for good; on stop, leaves it undone (on disk). */
  async #send(push: Sending): Promise<void> {
    const { ctx, stop } = this;
    const body = push.body;
    for (;;) {
      if (stop.aborted) return;
      if (ctx.discarding()) {
        this.#drop(push, "flow_disabled");
        return;
      }
      const outcome = await ctx.client.post(body, "loki", stop);
      if (stop.aborted) return;
      ctx.metrics.requests.inc({ status_class: statusClass(outcome.status) });
      if (outcome.kind === "sent") {
        ctx.metrics.sent.inc(push.entries);
        ctx.metrics.bytesSent.inc(push.bytes);
        this.#backoff.reset();
        ctx.done(push.from);
        return;
      }
      if (outcome.kind === "flow_disabled" || outcome.kind === "refused") {
        this.#refused(push, outcome);
        return;
      }
      ctx.metrics.retries.inc({ reason: outcome.reason });
      const wait = this.#backoff.next(outcome.retryAfterMs);
      ctx.log.log("warn", `retry_${outcome.reason}`, "log push failed; will retry", {
        reason: outcome.reason,
        status: outcome.status,
        message: outcome.message,
        retryInMs: Math.round(wait),
      });
      await ctx.sleep(wait, AbortSignal.any([stop, ctx.discardSignal()]));
    }
  }

  /** A 423 (the seed switched logs off) or another final refusal: the request is dropped. */
  #refused(push: Sending, outcome: PostOutcome & { kind: "flow_disabled" | "refused" }): void {
    const { ctx } = this;
    this.#backoff.reset();
    if (outcome.kind === "flow_disabled") {
      ctx.log.log("warn", "flow_disabled", "the seed has switched logs off (423); dropping, not buffering", {
        flow: outcome.flow,
        message: outcome.message,
      });
      ctx.flowDisabled();
      this.#drop(push, "flow_disabled");
      return;
    }
    const reason = outcome.status === 400 || outcome.status === 413 ? `http_${outcome.status}` : "http_4xx";
    ctx.log.log("error", `refused_${outcome.status}`, "the seed refused a log push; its lines are dropped", {
      status: outcome.status,
      entries: push.entries,
      message: outcome.message,
    });
    this.#drop(push, reason);
  }

  /** Gives up on entries (counted under `reason`) and marks them done. */
  #drop(what: { entries: number; from: Map<BatchRef, number> }, reason: string): void {
    if (what.entries > 0) this.ctx.metrics.dropped.inc({ reason }, what.entries);
    this.ctx.done(what.from);
    this.room.notify();
  }
}
