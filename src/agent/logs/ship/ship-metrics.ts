/**
 * Self-metrics of the log shipper, `mirador_agent_logs_*`. Counters are shared by every shipper on a
 * registry (an agent runs one); gauges are read from the shippers when scraped.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** What a gauge scrape asks of a shipper. */
export interface ShipGaugeSource {
  /** Bytes of the disk queue and records pending in it (appended, not acknowledged). */
  depth(): { bytes: number; records: number };
  /** Seconds since the oldest entry not yet delivered was appended (0 when none). */
  oldestUnsentAgeSeconds(): Promise<number>;
}

/** The counters and gauges of the shippers on one registry. */
export class ShipMetrics {
  static readonly #byRegistry = new WeakMap<Registry, ShipMetrics>();

  readonly queued: Counter;
  readonly sent: Counter;
  readonly bytesSent: Counter;
  readonly dropped: Counter<"reason">;
  readonly recordsDropped: Counter<"reason">;
  readonly requests: Counter<"status_class">;
  readonly retries: Counter<"reason">;
  readonly #sources = new Set<ShipGaugeSource>();

  /** The metrics of `registry`, created on first use. */
  static for(registry: Registry): ShipMetrics {
    let m = ShipMetrics.#byRegistry.get(registry);
    if (m === undefined) {
      m = new ShipMetrics(registry);
      ShipMetrics.#byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.#sources;
    this.queued = new Counter({
      name: "mirador_agent_logs_entries_queued_total",
      help: "Log entries appended to the disk queue.",
      registers,
    });
    this.sent = new Counter({
      name: "mirador_agent_logs_entries_sent_total",
      help: "Log entries the seed acknowledged with 2xx.",
      registers,
    });
    this.bytesSent = new Counter({
      name: "mirador_agent_logs_bytes_sent_total",
      help: "Bytes of log entries (lines, structured metadata, timestamps, as the push protobuf holds them before compression) the seed acknowledged with 2xx.",
      registers,
    });
    this.dropped = new Counter({
      name: "mirador_agent_logs_entries_dropped_total",
      help: "Log entries given up on, by reason (http_400, http_413, http_4xx: refused by the seed; flow_disabled: the seed switched logs off; invalid_labels; too_large; stopped; bad_record; queue_full, queue_corrupt, torn_tail, io_error: lost in the disk queue, estimated from records).",
      labelNames: ["reason"],
      registers,
    });
    this.recordsDropped = new Counter({
      name: "mirador_agent_logs_queue_records_dropped_total",
      help: "Disk-queue records lost, by the queue's reason (max_bytes, corrupt, torn_tail, io_error, bad_record).",
      labelNames: ["reason"],
      registers,
    });
    this.requests = new Counter({
      name: "mirador_agent_logs_requests_total",
      help: "Push requests answered, by status class (2xx, 4xx, 5xx; error: no answer, a network error or a timeout).",
      labelNames: ["status_class"],
      registers,
    });
    this.retries = new Counter({
      name: "mirador_agent_logs_retries_total",
      help: "Push requests sent again after a retryable failure, by reason (http_429, http_5xx, http_403, network, timeout).",
      labelNames: ["reason"],
      registers,
    });
    new Gauge({
      name: "mirador_agent_logs_queue_bytes",
      help: "Bytes of the logs disk queue (segments and buffered frames).",
      registers,
      collect() {
        let n = 0;
        for (const s of sources) n += s.depth().bytes;
        this.set(n);
      },
    });
    new Gauge({
      name: "mirador_agent_logs_queue_records",
      help: "Records of the logs disk queue appended and not yet acknowledged.",
      registers,
      collect() {
        let n = 0;
        for (const s of sources) n += s.depth().records;
        this.set(n);
      },
    });
    new Gauge({
      name: "mirador_agent_logs_oldest_unsent_entry_age_seconds",
      help: "Time since the oldest log entry not yet delivered was appended to the disk queue (0 when none).",
      registers,
      async collect() {
        let age = 0;
        for (const s of sources) age = Math.max(age, await s.oldestUnsentAgeSeconds());
        this.set(age);
      },
    });
  }

  /** Starts reporting the gauges of `source`. */
  add(source: ShipGaugeSource): void {
    this.#sources.add(source);
  }

  /** Stops reporting `source`. */
  remove(source: ShipGaugeSource): void {
    this.#sources.delete(source);
  }
}

/** The `status_class` of an HTTP status: `2xx`…`5xx`, or `error` when there was no answer (0). */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "error";
}
