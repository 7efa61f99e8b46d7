import { Counter, Gauge, type Registry } from "prom-client";
import { RateWindow } from "../lib/rate/rate-window.js";
import type { ClusterTraffic, Flow } from "../registry/index.js";

/** The last minute of one cluster's traffic, and its refusals since start. */
interface ClusterMeters {
  readonly samples: RateWindow;
  readonly bytes: RateWindow;
  readonly logBytes: RateWindow;
  readonly rejected: Record<string, number>;
  /** Flows that received bytes (the label values of the received-bytes series). */
  readonly flows: Set<Flow>;
  /** Unix ms of the last accepted write, or undefined. */
  lastPushMs: number | undefined;
}

const WINDOW_MS = 60_000;
const WINDOW_BUCKETS = 12;

/**
 * What the gateway saw of each cluster: received bytes, admitted samples and log bytes, refusals
 * by reason and the time of the last accepted write. Kept as rates over the last minute for
 * {@link status} (the registry's `ClusterStatus.traffic`) and as Prometheus series on the seed's
 * registry:
 *
 * - `mirador_gateway_cluster_samples_total{cluster}`: samples admitted and accepted by the ingest;
 * - `mirador_gateway_cluster_received_bytes_total{cluster,flow}`: request body bytes read, as sent
 *   (compressed);
 * - `mirador_gateway_cluster_log_bytes_total{cluster}`: uncompressed log line bytes admitted;
 * - `mirador_gateway_cluster_rejected_total{cluster,reason}`: requests refused;
 * - `mirador_gateway_cluster_last_push_timestamp_seconds{cluster}`: time of the last accepted write.
 */
export class TrafficMeter {
  readonly #clusters = new Map<string, ClusterMeters>();
  readonly #samples: Counter<"cluster">;
  readonly #received: Counter<"cluster" | "flow">;
  readonly #logBytes: Counter<"cluster">;
  readonly #rejected: Counter<"cluster" | "reason">;
  readonly #lastPush: Gauge<"cluster">;

  /** `now` is the clock in Unix ms (injectable for tests). */
  constructor(
    metrics: Registry,
    private readonly now: () => number,
  ) {
    this.#samples = new Counter({
      name: "mirador_gateway_cluster_samples_total",
      help: "Samples the gateway admitted for a cluster and the ingest accepted (refused samples included).",
      labelNames: ["cluster"],
      registers: [metrics],
    });
    this.#received = new Counter({
      name: "mirador_gateway_cluster_received_bytes_total",
      help: "Request body bytes the gateway read for a cluster, as sent (compressed), per flow.",
      labelNames: ["cluster", "flow"],
      registers: [metrics],
    });
    this.#logBytes = new Counter({
      name: "mirador_gateway_cluster_log_bytes_total",
      help: "Uncompressed log line bytes the gateway admitted for a cluster.",
      labelNames: ["cluster"],
      registers: [metrics],
    });
    this.#rejected = new Counter({
      name: "mirador_gateway_cluster_rejected_total",
      help: "Requests the gateway or the ingest refused for a cluster, per reason.",
      labelNames: ["cluster", "reason"],
      registers: [metrics],
    });
    this.#lastPush = new Gauge({
      name: "mirador_gateway_cluster_last_push_timestamp_seconds",
      help: "Unix time of the last write the gateway accepted for a cluster.",
      labelNames: ["cluster"],
      registers: [metrics],
    });
  }

  /** Counts a request body of `bytes` read for `cluster`'s `flow`. */
  received(cluster: string, flow: Flow, bytes: number): void {
    const m = this.#meters(cluster);
    m.bytes.add(bytes, this.now());
    m.flows.add(flow);
    this.#received.inc({ cluster, flow }, bytes);
  }

  /** Records an accepted write of `samples` samples (0 when not counted) for `cluster`. */
  pushed(cluster: string, samples: number): void {
    const now = this.now();
    const m = this.#meters(cluster);
    m.lastPushMs = now;
    this.#lastPush.set({ cluster }, now / 1000);
    if (samples > 0) {
      m.samples.add(samples, now);
      this.#samples.inc({ cluster }, samples);
    }
  }

  /** Records an accepted logs push of `bytes` uncompressed line bytes for `cluster`. */
  pushedLogs(cluster: string, bytes: number): void {
    const now = this.now();
    const m = this.#meters(cluster);
    m.lastPushMs = now;
    this.#lastPush.set({ cluster }, now / 1000);
    m.logBytes.add(bytes, now);
    this.#logBytes.inc({ cluster }, bytes);
  }

  /** Counts a refused request of `cluster` under `reason`. */
  rejected(cluster: string, reason: string): void {
    const m = this.#meters(cluster);
    m.rejected[reason] = (m.rejected[reason] ?? 0) + 1;
    this.#rejected.inc({ cluster, reason });
  }

  /** `cluster`'s traffic now, or undefined when the gateway has seen nothing of it since start. */
  status(cluster: string): ClusterTraffic | undefined {
    const m = this.#clusters.get(cluster);
    if (m === undefined) return undefined;
    const now = this.now();
    return {
      ...(m.lastPushMs !== undefined && { lastPushAt: new Date(m.lastPushMs).toISOString() }),
      samplesPerSecond: m.samples.perSecond(now),
      bytesPerSecond: m.bytes.perSecond(now),
      logBytesPerSecond: m.logBytes.perSecond(now),
      rejected: { ...m.rejected },
    };
  }

  /** Forgets a removed cluster, its Prometheus series included. */
  forget(cluster: string): void {
    const m = this.#clusters.get(cluster);
    if (m === undefined) return;
    this.#clusters.delete(cluster);
    this.#samples.remove({ cluster });
    this.#logBytes.remove({ cluster });
    this.#lastPush.remove({ cluster });
    for (const flow of m.flows) this.#received.remove({ cluster, flow });
    for (const reason of Object.keys(m.rejected)) this.#rejected.remove({ cluster, reason });
  }

  #meters(cluster: string): ClusterMeters {
    let m = this.#clusters.get(cluster);
    if (m === undefined) {
      m = {
        samples: new RateWindow(WINDOW_MS, WINDOW_BUCKETS),
        bytes: new RateWindow(WINDOW_MS, WINDOW_BUCKETS),
        logBytes: new RateWindow(WINDOW_MS, WINDOW_BUCKETS),
        rejected: {},
        flows: new Set(),
        lastPushMs: undefined,
      };
      this.#clusters.set(cluster, m);
    }
    return m;
  }
}
