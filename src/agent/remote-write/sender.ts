import { Agent as HttpsAgent, request } from "node:https";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../../lib/log/logger.js";
import type { Labels } from "../../model/labels.js";
import { encodeWriteRequestV1 } from "../../wire/remote-write/v1.js";
import { snappyCompress } from "../../wire/snappy.js";
import { BatchBuilder } from "./batch.js";
import { SampleQueue } from "./sample-queue.js";

/** How the sender reaches the seed and how hard it tries. */
export interface SenderOptions {
  /** The gateway's remote-write URL (https). */
  readonly url: string;
  /** PEM client certificate, key and the seed CA that must have signed the gateway's certificate. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly batchMaxSamples: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  /** Samples held in memory while the seed is unreachable; beyond it the oldest are dropped. */
  readonly maxQueuedSamples: number;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly userAgent: string;
}

const MIN_BACKOFF_MS = 100;

/**
 * Ships queued samples to the seed as Prometheus remote-write 1.0 over mutual TLS, in batches.
 * 2xx: sent. 429 and 5xx (and network errors): retried with exponential backoff and full jitter,
 * honouring `Retry-After`. Any other 4xx: the server will never take this batch, so it is dropped,
 * counted and the server's message logged.
 */
export class RemoteWriteSender {
  readonly #queue: SampleQueue;
  readonly #agent: HttpsAgent;
  readonly #sent: Counter;
  readonly #dropped: Counter<"reason">;
  readonly #retries: Counter<"reason">;
  #wake: (() => void) | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #inflight: AbortController | undefined;

  constructor(private readonly opts: SenderOptions) {
    this.#queue = new SampleQueue(opts.maxQueuedSamples);
    this.#agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 1,
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      minVersion: "TLSv1.3",
    });
    const r = [opts.metrics];
    this.#sent = new Counter({
      name: "mirador_agent_samples_sent_total",
      help: "Samples the seed acknowledged.",
      registers: r,
    });
    this.#dropped = new Counter({
      name: "mirador_agent_samples_dropped_total",
      help: "Samples given up on, by reason.",
      labelNames: ["reason"],
      registers: r,
    });
    this.#retries = new Counter({
      name: "mirador_agent_send_retries_total",
      help: "Batches sent again after a retryable failure, by reason.",
      labelNames: ["reason"],
      registers: r,
    });
    const queue = this.#queue;
    new Gauge({
      name: "mirador_agent_queue_samples",
      help: "Samples waiting to be sent.",
      registers: r,
      collect() {
        this.set(queue.size);
      },
    });
    new Gauge({
      name: "mirador_agent_queue_oldest_sample_age_seconds",
      help: "Age of the oldest sample waiting to be sent (0 when none).",
      registers: r,
      collect() {
        const t = queue.oldestTimestamp();
        this.set(t === undefined ? 0 : Math.max(0, (Date.now() - t) / 1000));
      },
    });
  }

  /** Samples waiting to be sent. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Queues one sample and wakes the sending loop. */
  enqueue(labels: Labels, t: number, v: number): void {
    if (this.#queue.push(labels, t, v) > 0) this.#dropped.inc({ reason: "queue_full" });
  }

  /** Wakes the loop to send what is queued. */
  flush(): void {
    this.#wake?.();
  }

  /** Starts the sending loop. */
  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops the loop after trying, for at most `graceMs`, to send what is queued. */
  async stop(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.#queue.size > 0 && Date.now() < deadline) {
      this.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.#running = false;
    this.#inflight?.abort();
    this.#wake?.();
    await this.#loop;
    this.#agent.destroy();
    if (this.#queue.size > 0)
      this.opts.logger.warn("agent stopped with unsent samples", { samples: this.#queue.size });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (this.#running) {
      if (this.#queue.size === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const batch = new BatchBuilder();
      const n = this.#queue.peek(this.opts.batchMaxSamples, (l, t, v) => batch.add(l, t, v));
      const body = snappyCompress(encodeWriteRequestV1(batch.build()));
      const outcome = await this.#post(body);
      if (outcome.kind === "sent") {
        this.#queue.shift(n);
        this.#sent.inc(n);
        attempt = 0;
      } else if (outcome.kind === "refused") {
        this.#queue.shift(n);
        this.#dropped.inc({ reason: `http_${outcome.status}` }, n);
        this.opts.logger.error("seed refused a batch; dropping it (not retryable)", {
          status: outcome.status,
          samples: n,
          message: outcome.message,
        });
        attempt = 0;
      } else {
        this.#retries.inc({ reason: outcome.reason });
        const backoff = Math.min(this.opts.maxBackoffMs, MIN_BACKOFF_MS * 2 ** attempt);
        const wait = Math.max(outcome.retryAfterMs ?? 0, Math.random() * backoff);
        attempt = Math.min(attempt + 1, 30);
        this.opts.logger.warn("sending to the seed failed; will retry", {
          reason: outcome.reason,
          message: outcome.message,
          retryInMs: Math.round(wait),
        });
        await this.#sleep(wait);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        // Only a stop cuts a backoff short; new samples wait for it.
        if (!this.#running) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }

  #post(
    body: Uint8Array,
  ): Promise<
    | { kind: "sent" }
    | { kind: "refused"; status: number; message: string }
    | { kind: "retry"; reason: string; message: string; retryAfterMs?: number }
  > {
    const ac = new AbortController();
    this.#inflight = ac;
    return new Promise((resolve) => {
      const req = request(
        this.opts.url,
        {
          method: "POST",
          agent: this.#agent,
          signal: ac.signal,
          timeout: this.opts.timeoutMs,
          headers: {
            "content-type": "application/x-protobuf",
            "content-encoding": "snappy",
            "content-length": String(body.length),
            "user-agent": this.opts.userAgent,
            "x-prometheus-remote-write-version": "0.1.0",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const message = Buffer.concat(chunks).toString("utf8").trim().slice(0, 1000);
            if (status >= 200 && status < 300) resolve({ kind: "sent" });
            else if (status === 429 || status >= 500) {
              const retryAfterMs = parseRetryAfter(res.headers["retry-after"]);
              resolve({
                kind: "retry",
                reason: `http_${status}`,
                message,
                ...(retryAfterMs !== undefined && { retryAfterMs }),
              });
            } else resolve({ kind: "refused", status, message });
          });
          res.on("error", (err) => resolve({ kind: "retry", reason: "network", message: err.message }));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on("error", (err) => resolve({ kind: "retry", reason: "network", message: err.message }));
      req.end(body);
    });
  }
}

/** `Retry-After` as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
