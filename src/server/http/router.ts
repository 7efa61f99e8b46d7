import type { IncomingMessage, ServerResponse } from "node:http";
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

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
  readonly prefix: boolean;
}

/**
 * A small method + path router. Patterns are literal segments, `:param` segments, and an optional
 * trailing `*` that matches the rest of the path (into `params["*"]`). Literal routes win over
 * parameter routes; otherwise the first registered route wins.
 */
export class Router {
  readonly #routes: CompiledRoute[] = [];

  /** Registers `handler` for `method` (or several) on `pattern`. */
  on(
    methods: string | readonly string[],
    pattern: string,
    handler: Handler,
    opts: { errors?: ErrorStyle } = {},
  ): void {
    const segments = pattern.split("/").filter((s) => s !== "");
    const prefix = segments[segments.length - 1] === "*";
    if (prefix) segments.pop();
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

function specificity(r: CompiledRoute): number {
  let s = r.prefix ? 0 : 1000;
  for (const seg of r.segments) s += seg.startsWith(":") ? 1 : 10;
  return s;
}

function matchSegments(r: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
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
