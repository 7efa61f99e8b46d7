/**
 * A deterministic, realistic log corpus for the log store's tests and benchmarks: several streams of
 * one Kubernetes workload, each in a format seen in the field — JSON access logs of an ingress, logfmt
 * of an API service, plain text with trace ids of a worker, JSON application logs with nested fields
 * of a checkout service, and klog-style lines of a controller. Values repeat the way real ones do
 * (a few paths, user agents and clients dominate; ids and durations do not repeat), so compression
 * ratios measured on it are in the range of real logs rather than of random or constant text.
 *
 * Not a test helper only: `log-codecs.bench.ts` (built into `dist/`) uses it, hence no `.testlib`.
 */

/** One stream of the corpus: its labels, and its entries in time order. */
export interface CorpusStream {
  /** The stream's label set, e.g. `{ app: "ingress", namespace: "web", … }`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Timestamps in Unix nanoseconds, non-decreasing, one per line. */
  readonly ts: BigInt64Array;
  /** The log lines, without a trailing newline. */
  readonly lines: readonly string[];
}

/** What to generate. */
export interface CorpusOptions {
  /** Seed of the pseudo-random generator: the same seed gives the same corpus. */
  readonly seed: number;
  /** Lines over all streams. */
  readonly lines: number;
  /** Start time in Unix milliseconds (default 2026-11-21T00:00:00Z). */
  readonly startMs?: number;
  /** Mean lines per second per stream (default 50). */
  readonly linesPerSecond?: number;
}

/** The stream kinds, one stream each, in this order. */
export const CORPUS_KINDS = [
  "ingress-json",
  "api-logfmt",
  "worker-text",
  "checkout-json",
  "controller-klog",
] as const;

type Rand = () => number;

/** mulberry32: a small, fast, seedable generator, uniform in [0, 1). */
function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from `xs` with a skew towards the front (roughly Zipf-like). */
function skewed<T>(r: Rand, xs: readonly T[]): T {
  const u = r();
  return xs[Math.floor(u * u * u * xs.length)]!;
}

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function hex(r: Rand, n: number): string {
  let s = "";
  for (let i = 0; i < n; i += 8)
    s += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  return s.slice(0, n);
}

const PATHS = [
  "/api/v1/products",
  "/api/v1/cart",
  "/",
  "/static/app.js",
  "/static/app.css",
  "/api/v1/users/me",
  "/healthz",
  "/api/v1/checkout",
  "/api/v1/search",
  "/favicon.ico",
  "/api/v1/orders",
  "/api/v1/recommendations",
  "/login",
  "/metrics",
];
const METHODS = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 304, 201, 404, 500, 302, 401, 503];
const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "kube-probe/1.31",
  "Prometheus/3.0.1",
  "curl/8.5.0",
  "Go-http-client/2.0",
  "python-requests/2.32.3",
];
const LEVELS = ["info", "info", "info", "info", "info", "debug", "debug", "warn", "error"];
const API_MSGS = [
  "request handled",
  "cache miss",
  "cache hit",
  "db query",
  "upstream call",
  "token refreshed",
  "rate limited",
  "validation failed",
];
const WORKER_MSGS = [
  "processing job",
  "job finished",
  "retrying job after error: connection reset by peer",
  "fetched batch from queue",
  "acked message",
  "slow consumer detected, lag growing",
  "published event",
];
const QUEUES = ["emails", "thumbnails", "invoices", "search-index", "webhooks"];
const CHECKOUT_EVENTS = [
  "cart.loaded",
  "payment.authorized",
  "payment.declined",
  "order.created",
  "stock.reserved",
];
const CURRENCIES = ["EUR", "USD", "GBP", "CHF"];
const CONTROLLER_MSGS = [
  'Successfully synced "%s"',
  'Reconciling deployment "%s"',
  'Observed a panic in reconciler: "%s" not found',
  'Updated status of pod "%s"',
  'Leader election lost for "%s", retrying',
];
const OBJECTS = [
  "web/frontend",
  "web/api",
  "shop/checkout",
  "shop/worker",
  "kube-system/coredns",
  "monitoring/agent",
];

function clientIp(r: Rand): string {
  // A few heavy clients and a long tail.
  const n = Math.floor(r() ** 4 * 5000);
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

function line(kind: (typeof CORPUS_KINDS)[number], r: Rand, ms: number, pod: string): string {
  switch (kind) {
    case "ingress-json": {
      const status = skewed(r, STATUSES);
      return JSON.stringify({
        time: isoMs(ms),
        remote_addr: clientIp(r),
        method: skewed(r, METHODS),
        path: skewed(r, PATHS),
        status,
        bytes_sent: status === 304 ? 0 : Math.floor(200 + r() ** 2 * 60000),
        request_time: Number((r() ** 3 * 2).toFixed(3)),
        upstream: `${pod}:8080`,
        user_agent: skewed(r, AGENTS),
        request_id: hex(r, 32),
      });
    }
    case "api-logfmt": {
      const level = skewed(r, LEVELS);
      return (
        `ts=${isoMs(ms)} level=${level} caller=handler.go:${100 + Math.floor(r() * 40)} ` +
        `msg="${skewed(r, API_MSGS)}" method=${skewed(r, METHODS)} path=${skewed(r, PATHS)} ` +
        `status=${skewed(r, STATUSES)} duration=${(r() ** 3 * 900).toFixed(2)}ms ` +
        `user_id=${Math.floor(r() ** 2 * 20000)} trace_id=${hex(r, 32)}`
      );
    }
    case "worker-text": {
      const level = skewed(r, LEVELS).toUpperCase();
      return (
        `${isoMs(ms)} ${level.padEnd(5)} [${pick(r, QUEUES)}-worker-${Math.floor(r() * 8)}] ` +
        `${skewed(r, WORKER_MSGS)} job_id=${Math.floor(r() * 1e9)} attempt=${1 + Math.floor(r() ** 4 * 5)} ` +
        `traceID=${hex(r, 32)} spanID=${hex(r, 16)}`
      );
    }
    case "checkout-json": {
      const event = skewed(r, CHECKOUT_EVENTS);
      return JSON.stringify({
        ts: ms / 1000,
        level: skewed(r, LEVELS),
        logger: "checkout.service",
        event,
        order: {
          id: `ord_${hex(r, 12)}`,
          items: 1 + Math.floor(r() ** 3 * 9),
          total: Number((r() * 400).toFixed(2)),
          currency: skewed(r, CURRENCIES),
        },
        customer: {
          id: Math.floor(r() ** 2 * 50000),
          country: skewed(r, ["DE", "FR", "US", "GB", "CH", "NL"]),
        },
        trace_id: hex(r, 32),
        span_id: hex(r, 16),
      });
    }
    case "controller-klog": {
      const d = new Date(ms);
      const mm = String(d.getUTCMonth() + 1).padStart(2, "0");
      const dd = String(d.getUTCDate()).padStart(2, "0");
      const time = d.toISOString().slice(11, 23);
      const sev = skewed(r, ["I", "I", "I", "I", "W", "E"]);
      const msg = skewed(r, CONTROLLER_MSGS).replace("%s", skewed(r, OBJECTS));
      return `${sev}${mm}${dd} ${time}000       1 controller.go:${200 + Math.floor(r() * 60)}] ${msg} generation=${Math.floor(r() * 40)}`;
    }
  }
}

/**
 * Generates the corpus: `lines` lines spread evenly over the {@link CORPUS_KINDS} streams, with
 * exponential gaps between timestamps (a Poisson process per stream) at nanosecond resolution.
 */
export function logCorpus(opts: CorpusOptions): CorpusStream[] {
  const r = mulberry32(opts.seed);
  const startMs = opts.startMs ?? Date.UTC(2026, 10, 21);
  const meanGapNs = 1e9 / (opts.linesPerSecond ?? 50);
  const out: CorpusStream[] = [];
  CORPUS_KINDS.forEach((kind, k) => {
    const n = Math.floor(opts.lines / CORPUS_KINDS.length) + (k < opts.lines % CORPUS_KINDS.length ? 1 : 0);
    const pod = `${kind.split("-")[0]}-${hex(r, 10).slice(0, 10)}-${hex(r, 5)}`;
    const ts = new BigInt64Array(n);
    const lines: string[] = new Array(n);
    let ns = BigInt(startMs) * 1_000_000n;
    for (let i = 0; i < n; i++) {
      ns += BigInt(Math.floor(-Math.log(1 - r()) * meanGapNs));
      ts[i] = ns;
      lines[i] = line(kind, r, Number(ns / 1_000_000n), pod);
    }
    out.push({
      labels: {
        cluster: "demo-1",
        namespace: "shop",
        app: kind.split("-")[0]!,
        pod,
        format: kind.split("-")[1]!,
      },
      ts,
      lines,
    });
  });
  return out;
}
