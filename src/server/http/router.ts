import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { HttpError } from "../errors.js";

/** How a route renders its errors: the Prometheus/Loki JSON envelope, or plain text (write paths). */
export type ErrorStyle = "json" | "text";

/** What a handler gets: the raw request and response, the parsed URL, path parameters and a signal. */
export interface RouteRequest {
  readonly raw: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Path parameters, e.g. `{name: "job"}` for `/api/v1/label/:name/values`. URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Aborted when the client disconnects or the server drains. */
  readonly signal: AbortSignal;
}

/** A request handler. It writes the response itself, or throws an HttpError. */
export type Handler = (req: RouteRequest) => Promise<void> | void;

/** A registered route. */
export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: Handler;
  readonly errors: ErrorStyle;
  /** A short name for self-metrics, e.g. `/api/v1/query`. */
  readonly name: string;
}

/**
 * What an upgrade handler gets (an `Upgrade:` request, e.g. a WebSocket handshake): the request, the
 * raw socket and the bytes read past the headers, as Node's `'upgrade'` event gives them.
 */
export interface UpgradeRequest {
  readonly raw: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly url: URL;
  /** Path parameters, as for {@link RouteRequest.params}. */
  readonly params: Readonly<Record<string, string>>;
  /** Aborted when the server closes: the handler should then end its connection (WebSocket close 1001). */
  readonly signal: AbortSignal;
}

/**
 * An upgrade handler. Before it takes the socket (writes to it) it may throw an HttpError, which the
 * server answers as a plain-text HTTP response; once it has taken it, it owns the socket and its errors.
 */
export type UpgradeHandler = (req: UpgradeRequest) => Promise<void> | void;

interface CompiledPattern {
  readonly segments: readonly string[];
  readonly prefix: boolean;
}

interface CompiledRoute extends Route, CompiledPattern {}

interface CompiledUpgrade extends CompiledPattern {
  readonly pattern: string;
  readonly handler: UpgradeHandler;
}

/**
 * A small method + path router. Patterns are literal segments, `:param` segments, and an optional
 * trailing `*` that matches the rest of the path (into `params["*"]`). Literal routes win over
 * parameter routes; otherwise the first registered route wins.
 */
export class Router {
  readonly #routes: CompiledRoute[] = [];
  readonly #upgrades: CompiledUpgrade[] = [];

  /** Registers `handler` for `method` (or several) on `pattern`. */
  on(
    methods: string | readonly string[],
    pattern: string,
    handler: Handler,
    opts: { errors?: ErrorStyle } = {},
  ): void {
    const { segments, prefix } = compile(pattern);
    for (const method of typeof methods === "string" ? [methods] : methods) {
      this.#routes.push({
        method,
        pattern,
        handler,
        errors: opts.errors ?? "json",
        name: pattern,
        segments,
        prefix,
      });
    }
    // Literal segments before parameters, so /api/v1/status/buildinfo beats /api/v1/status/:x.
    this.#routes.sort((a, b) => specificity(b) - specificity(a));
  }

  /**
   * Registers `handler` for upgrade requests (`Connection: Upgrade`, e.g. a WebSocket handshake) on
   * `pattern` (patterns as for {@link on}). Upgrade routes are apart from request routes: a plain
   * request on the same path does not reach `handler`.
   */
  onUpgrade(pattern: string, handler: UpgradeHandler): void {
    this.#upgrades.push({ pattern, handler, ...compile(pattern) });
    this.#upgrades.sort((a, b) => specificity(b) - specificity(a));
  }

  /** Finds the upgrade route for a path, or undefined. */
  matchUpgrade(
    path: string,
  ): { handler: UpgradeHandler; pattern: string; params: Record<string, string> } | undefined {
    const parts = path.split("/").filter((s) => s !== "");
    for (const r of this.#upgrades) {
      const params = matchSegments(r, parts);
      if (params) return { handler: r.handler, pattern: r.pattern, params };
    }
    return undefined;
  }

  /** Finds the route for a method and path; `allowed` lists the methods of a path-only match (405). */
  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } {
    const parts = path.split("/").filter((s) => s !== "");
    const allowed: string[] = [];
    for (const r of this.#routes) {
      const params = matchSegments(r, parts);
      if (!params) continue;
      if (r.method === method || (method === "HEAD" && r.method === "GET")) return { route: r, params };
      allowed.push(r.method);
    }
    return { allowed };
  }
}

function compile(pattern: string): CompiledPattern {
  const segments = pattern.split("/").filter((s) => s !== "");
  const prefix = segments[segments.length - 1] === "*";
  if (prefix) segments.pop();
  return { segments, prefix };
}

function specificity(r: CompiledPattern): number {
  let s = r.prefix ? 0 : 1000;
  for (const seg of r.segments) s += seg.startsWith(":") ? 1 : 10;
  return s;
}

function matchSegments(r: CompiledPattern, parts: readonly string[]): Record<string, string> | undefined {
  if (r.prefix ? parts.length < r.segments.length : parts.length !== r.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.segments.length; i++) {
    const seg = r.segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith(":")) {
      try {
        params[seg.slice(1)] = decodeURIComponent(part);
      } catch {
        throw new HttpError("bad_data", `malformed URL path segment ${JSON.stringify(part)}`);
      }
    } else if (seg !== part) return undefined;
  }
  if (r.prefix) params["*"] = parts.slice(r.segments.length).join("/");
  return params;
}
