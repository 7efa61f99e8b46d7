import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ContainerLogWriter } from "../agent/logs/gen/container-log-writer.js";

const ROUTES = [
  { path: "/api/orders", weight: 5, latencyMs: 40, errorRate: 0.02 },
  { path: "/api/users", weight: 3, latencyMs: 15, errorRate: 0.005 },
  { path: "/api/search", weight: 2, latencyMs: 120, errorRate: 0.05 },
  { path: "/healthz", weight: 1, latencyMs: 1, errorRate: 0 },
] as const;

/**
 * The demo's small workload: an HTTP service with a few routes of different latency and error
 * rate, a load generator that sends it steady traffic (`rps` requests per second), and a /metrics
 * endpoint with request counters and latency histograms, as a real service would expose. With
 * {@link logTo} it also writes an access log line per request (JSON, as many web services do) and a
 * line at error level for every 500, into a container log file the cluster's agent tails.
 */
export class DemoWorkload {
  readonly registry = new Registry();
  readonly #server: Server;
  readonly #requests: Counter<"method" | "path" | "code">;
  readonly #latency: Histogram<"method" | "path">;
  #timer: NodeJS.Timeout | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #log: ContainerLogWriter | undefined;
  #port = 0;

  constructor(
    private readonly name: string,
    private readonly rps: number,
  ) {
    this.#requests = new Counter({
      name: "demo_http_requests_total",
      help: "Requests served by the demo workload.",
      labelNames: ["method", "path", "code"],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: "demo_http_request_duration_seconds",
      help: "Time the demo workload took to answer.",
      labelNames: ["method", "path"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [this.registry],
    });
    new Gauge({
      name: "demo_workload_info",
      help: "The demo workload's identity.",
      labelNames: ["workload"],
      registers: [this.registry],
    }).set({ workload: name }, 1);
    this.#server = createServer((req, res) => void this.#serve(req.url ?? "/", req.method ?? "GET", res));
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  /** `host:port` of the service, for scrape configs. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Listens on 127.0.0.1 (port 0 = any) and starts sending itself traffic. */
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    const total = ROUTES.reduce((s, r) => s + r.weight, 0);
    this.#timer = setInterval(() => {
      let pick = Math.random() * total;
      const route =
        ROUTES.find((r) => {
          pick -= r.weight;
          return pick < 0;
        }) ?? ROUTES[0];
      fetch(`http://${this.address}${route.path}`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
    }, 1000 / this.rps);
    this.#timer.unref();
  }

  /** Writes the workload's log lines to `writer` (flushed twice a second, closed by {@link stop}). */
  logTo(writer: ContainerLogWriter): void {
    this.#log = writer;
    this.#flushTimer = setInterval(() => writer.flush(), 500);
    this.#flushTimer.unref();
  }

  /** Stops the traffic and the server. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#flushTimer);
    // Requests still being answered write nothing once the log is gone.
    const log = this.#log;
    this.#log = undefined;
    log?.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(url: string, method: string, res: ServerResponse): Promise<void> {
    if (url === "/metrics") {
      res.writeHead(200, { "content-type": this.registry.contentType });
      res.end(await this.registry.metrics());
      return;
    }
    const route = ROUTES.find((r) => r.path === url);
    const started = performance.now();
    if (!route) {
      res.writeHead(404).end();
      this.#requests.inc({ method, path: "other", code: "404" });
      return;
    }
    // An exponential-ish latency around the route's typical value.
    const delay = route.latencyMs * -Math.log(1 - Math.random() * 0.95);
    await new Promise((r) => setTimeout(r, delay));
    const code = Math.random() < route.errorRate ? 500 : 200;
    res
      .writeHead(code, { "content-type": "application/json" })
      .end(`{"workload":${JSON.stringify(this.name)}}`);
    const seconds = (performance.now() - started) / 1000;
    this.#requests.inc({ method, path: route.path, code: String(code) });
    this.#latency.observe({ method, path: route.path }, seconds);
    this.#log?.write(
      JSON.stringify({
        level: code === 500 ? "error" : "info",
        msg: "request served",
        method,
        path: route.path,
        status: code,
        duration_ms: Math.round(seconds * 1000),
      }),
    );
    if (code === 500) {
      this.#log?.write(
        `level=error msg="upstream failed" path=${route.path} error="connection reset by peer" workload=${this.name}`,
        "stderr",
      );
    }
  }
}
