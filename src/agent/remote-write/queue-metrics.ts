/**
 * Self-metrics of the remote-write queues, `mirador_agent_remote_write_*`, labelled by `remote` (the
 * queue's name), so that several destinations share one registry. Gauges are read from the queues
 * when scraped.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What a gauge scrape asks of each queue. */
export interface QueueGaugeSource {
  readonly name: string;
  /** Bytes of the disk queue and samples pending (estimated for records from before a restart). */
  depth(): { bytes: number; samples: number };
  /** Age of the oldest sample not yet delivered, seconds (0 when none). */
  oldestUnsentAgeSeconds(): Promise<number>;
  shards(): { current: number; desired: number };
}

/** The counters, gauges and histogram of every queue on one registry. */
export class QueueMetrics {
  static readonly #byRegistry = new WeakMap<Registry, QueueMetrics>();

  readonly sent: Counter<"remote">;
  readonly retried: Counter<"remote" | "reason">;
  readonly dropped: Counter<"remote" | "reason">;
  readonly recordsDropped: Counter<"remote" | "reason">;
  readonly bytesSent: Counter<"remote">;
  readonly sendDuration: Histogram<"remote" | "outcome">;
  readonly #sources = new Set<QueueGaugeSource>();

  /** The metrics of `registry`, created on first use. */
  static for(registry: Registry): QueueMetrics {
    let m = QueueMetrics.#byRegistry.get(registry);
    if (m === undefined) {
      m = new QueueMetrics(registry);
      QueueMetrics.#byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.#sources;
    this.sent = new Counter({
      name: "mirador_agent_remote_write_samples_sent_total",
      help: "Samples the remote end acknowledged with 2xx.",
      labelNames: ["remote"],
      registers,
    });
    this.retried = new Counter({
      name: "mirador_agent_remote_write_samples_retried_total",
      help: "Samples sent again after a retryable failure, by reason (http_429, http_5xx, http_403, network, timeout, http_415_fallback).",
      labelNames: ["remote", "reason"],
      registers,
    });
    this.dropped = new Counter({
      name: "mirador_agent_remote_write_samples_dropped_total",
      help: "Samples given up on, by reason (http_4xx: refused by the remote; flow_disabled: the seed switched the flow off; queue_full, queue_corrupt, torn_tail, io_error: lost in the disk queue, estimated from records; bad_record; too_large).",
      labelNames: ["remote", "reason"],
      registers,
    });
    this.recordsDropped = new Counter({
      name: "mirador_agent_remote_write_queue_records_dropped_total",
      help: "Disk-queue records lost, by the queue's reason (max_bytes, corrupt, torn_tail, io_error, bad_record).",
      labelNames: ["remote", "reason"],
      registers,
    });
    this.bytesSent = new Counter({
      name: "mirador_agent_remote_write_bytes_sent_total",
      help: "Compressed request bytes the remote end acknowledged.",
      labelNames: ["remote"],
      registers,
    });
    this.sendDuration = new Histogram({
      name: "mirador_agent_remote_write_send_duration_seconds",
      help: "Duration of one remote-write request, by outcome (sent, retry, refused).",
      labelNames: ["remote", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: "mirador_agent_remote_write_queue_bytes",
      help: "Bytes of the disk queue (segments and buffered frames).",
      labelNames: ["remote"],
      registers,
      collect() {
        for (const s of sources) this.set({ remote: s.name }, s.depth().bytes);
      },
    });
    new Gauge({
      name: "mirador_agent_remote_write_queue_samples",
      help: "Samples appended and not yet delivered or dropped (estimated for records from before a restart).",
      labelNames: ["remote"],
      registers,
      collect() {
        for (const s of sources) this.set({ remote: s.name }, s.depth().samples);
      },
    });
    new Gauge({
      name: "mirador_agent_remote_write_oldest_unsent_sample_age_seconds",
      help: "Time since the oldest sample not yet delivered was appended (0 when none).",
      labelNames: ["remote"],
      registers,
      async collect() {
        for (const s of sources) this.set({ remote: s.name }, await s.oldestUnsentAgeSeconds());
      },
    });
    new Gauge({
      name: "mirador_agent_remote_write_shards",
      help: "Shards (concurrent senders) running.",
      labelNames: ["remote"],
      registers,
      collect() {
        for (const s of sources) this.set({ remote: s.name }, s.shards().current);
      },
    });
    new Gauge({
      name: "mirador_agent_remote_write_shards_desired",
      help: "Shards the last evaluation asked for (from incoming rate, send rate and backlog).",
      labelNames: ["remote"],
      registers,
      collect() {
        for (const s of sources) this.set({ remote: s.name }, s.shards().desired);
      },
    });
  }

  /** Starts reporting the gauges of `source`. */
  add(source: QueueGaugeSource): void {
    this.#sources.add(source);
  }

  /** Stops reporting `source` (its gauges keep the values of the last scrape). */
  remove(source: QueueGaugeSource): void {
    this.#sources.delete(source);
  }
}
