import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Counter, Histogram, type Registry } from "prom-client";
import type { Logger } from "../../lib/log/logger.js";
import { classifyError, HttpError } from "../errors.js";
import { sendJSON, sendText } from "./reply.js";
import type { Router } from "./router.js";

/** Options of an {@link HttpServer}. */
export interface HttpServerOptions {
  readonly name: string;
  readonly router: Router;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Serve HTTPS with these options (certificates, client-certificate checks) instead of HTTP. */
  readonly tls?: HttpsOptions;
  /**
   * Whether the routes are all registered yet. While this says no, a path the router does not know
   * answers 503 with `Retry-After` rather than 404: a client (an agent, Prometheus) must retry a
   * write that reaches a seed still starting its roles, not drop it as refused for good.
   */
  readonly routesReady?: () => boolean;
}

/**
 * An HTTP(S) server over a {@link Router}: maps thrown errors to statuses through the error
 * registry, counts requests per route in self-metrics, and drains on close — it stops accepting,
 * lets in-flight requests finish within a grace period, then cuts what is left. Upgrade requests
 * (WebSockets) go to the router's upgrade routes; unknown paths are answered 404 and closed. On close,
 * upgraded connections are told through their signal, given the same grace, then cut.
 */
export class HttpServer {
  readonly #server: Server;
  readonly #opts: HttpServerOptions;
  readonly #inflight = new Set<AbortController>();
  /** Upgraded (or upgrading) connections and the signal that tells their handler the server closes. */
  readonly #upgraded = new Map<Duplex, AbortController>();
  #closing = false;
  readonly #requests: Counter<"server" | "handler" | "method" | "code">;
  readonly #duration: Histogram<"server" | "handler">;
  #drained: (() => void) | undefined;

  constructor(opts: HttpServerOptions) {
    this.#opts = opts;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = opts.tls ? createHttpsServer(opts.tls, handler) : createHttpServer(handler);
    this.#server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket, head);
    });
    this.#server.keepAliveTimeout = 65_000;
    this.#server.headersTimeout = 66_000;
    this.#requests = getOrCreate(
      opts.metrics,
      "mirador_http_requests_total",
      () =>
        new Counter({
          name: "mirador_http_requests_total",
          help: "HTTP requests served, by server, route, method and status code.",
          labelNames: ["server", "handler", "method", "code"],
          registers: [opts.metrics],
        }),
    );
    this.#duration = getOrCreate(
      opts.metrics,
      "mirador_http_request_duration_seconds",
      () =>
        new Histogram({
          name: "mirador_http_request_duration_seconds",
          help: "Time to serve an HTTP request, by server and route.",
          labelNames: ["server", "handler"],
          buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
          registers: [opts.metrics],
        }),
    );
  }

  /** The underlying Node server (e.g. to watch TLS handshake errors). */
  get server(): Server {
    return this.#server;
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections, tells upgrade handlers through their signal, waits up to `graceMs`
   * for in-flight requests and upgraded connections, then aborts them and closes every connection.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (!this.#server.listening) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    for (const ac of this.#upgraded.values()) ac.abort(new Error("server shutting down"));
    if (this.#inflight.size > 0 || this.#upgraded.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      const timer = setTimeout(() => this.#drained?.(), graceMs);
      await drained;
      clearTimeout(timer);
    }
    for (const ac of this.#inflight) ac.abort(new Error("server shutting down"));
    this.#server.closeAllConnections();
    for (const socket of this.#upgraded.keys()) socket.destroy();
    await closed;
  }

  #checkDrained(): void {
    if (this.#inflight.size === 0 && this.#upgraded.size === 0) this.#drained?.();
  }

  /**
   * Hands an upgrade request to its upgrade route. An error thrown before the handler wrote to the
   * socket is answered as a plain-text HTTP response; after that, the socket is cut.
   */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = performance.now();
    const ac = new AbortController();
    this.#upgraded.set(socket, ac);
    // A reset before a handler takes the socket must not become an unhandled 'error'.
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      this.#upgraded.delete(socket);
      this.#checkDrained();
    });
    let handlerName = "unmatched";
    let code = 101;
    try {
      if (this.#closing) throw new HttpError("unavailable", "shutting down; retry");
      const url = new URL(req.url ?? "/", "http://localhost");
      const m = this.#opts.router.matchUpgrade(url.pathname);
      if (m === undefined) {
        if (this.#opts.routesReady && !this.#opts.routesReady())
          throw new HttpError("unavailable", `starting: ${url.pathname} is not served yet; retry`, {
            "retry-after": "1",
          });
        throw new HttpError("not_found", `no such upgrade endpoint: ${url.pathname}`);
      }
      handlerName = m.pattern;
      await m.handler({ raw: req, socket, head, url, params: m.params, signal: ac.signal });
    } catch (err) {
      const { status, message } = classifyError(err);
      code = status;
      if (status >= 500) this.#opts.logger.error("upgrade failed", { url: req.url, err });
      // The upgrade event's socket is a net.Socket (or a TLS one), which counts the bytes written.
      if (socket.writable && (socket as Socket).bytesWritten === 0) {
        const headers = err instanceof HttpError ? err.headers : {};
        socket.end(rawTextResponse(status, `${message}\n`, headers));
      } else socket.destroy();
    } finally {
      this.#requests.inc({
        server: this.#opts.name,
        handler: handlerName,
        method: req.method ?? "",
        code: String(code),
      });
      this.#duration.observe(
        { server: this.#opts.name, handler: handlerName },
        (performance.now() - started) / 1000,
      );
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ac = new AbortController();
    this.#inflight.add(ac);
    res.on("close", () => {
      if (!res.writableFinished) ac.abort(new Error("client closed the connection"));
      this.#inflight.delete(ac);
      this.#checkDrained();
    });
    let handlerName = "unmatched";
    let errors: "json" | "text" = "text";
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const m = this.#opts.router.match(req.method ?? "GET", url.pathname);
      if (!("route" in m)) {
        if (m.allowed.length > 0) {
          throw new HttpError(
            "method_not_allowed",
            `method ${req.method} not allowed; use ${[...new Set(m.allowed)].join(", ")}`,
            { allow: m.allowed.join(", ") },
          );
        }
        if (this.#opts.routesReady && !this.#opts.routesReady())
          throw new HttpError("unavailable", `starting: ${url.pathname} is not served yet; retry`, {
            "retry-after": "1",
          });
        throw new HttpError("not_found", `no such endpoint: ${url.pathname}`);
      }
      handlerName = m.route.name;
      errors = m.route.errors;
      await m.route.handler({ raw: req, res, url, params: m.params, signal: ac.signal });
    } catch (err) {
      this.#sendError(req, res, err, errors);
    } finally {
      this.#requests.inc({
        server: this.#opts.name,
        handler: handlerName,
        method: req.method ?? "",
        code: String(res.statusCode),
      });
      this.#duration.observe(
        { server: this.#opts.name, handler: handlerName },
        (performance.now() - started) / 1000,
      );
    }
  }

  #sendError(req: IncomingMessage, res: ServerResponse, err: unknown, style: "json" | "text"): void {
    const { code, status, message } = classifyError(err);
    if (status >= 500) this.#opts.logger.error("request failed", { method: req.method, url: req.url, err });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers = err instanceof HttpError ? { ...err.headers } : {};
    if (style === "json")
      sendJSON(res, status, { status: "error", errorType: code, error: message }, headers);
    else sendText(res, status, `${message}\n`, headers);
  }
}

/** A whole HTTP/1.1 response with a plain-text body, for a socket no ServerResponse wraps. */
function rawTextResponse(status: number, text: string, headers: Readonly<Record<string, string>>): string {
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(text)}`,
    "Connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n${text}`;
}

/** Returns the metric registered under `name`, creating it once; several servers share one registry. */
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
