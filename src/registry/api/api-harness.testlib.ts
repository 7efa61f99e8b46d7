import { Registry as MetricsRegistry } from "prom-client";
import { nopLogger } from "../../lib/log/logger.js";
import { Router } from "../../server/http/router.js";
import { HttpServer } from "../../server/http/server.js";
import type { RegistryService } from "../model.js";
import type { OpenApiChecker } from "./openapi.testlib.js";
import { REGISTRY_API_PREFIX, type RegistryApiOptions, registerRegistryApi } from "./registry-api.js";

/** A registry API served for a test: its base URL (up to the port) and how to stop it. */
export interface ServedApi {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves the registry API over `service` on a loopback port of its own, as the registry role
 * mounts it on the seed's port.
 */
export async function serveRegistryApi(
  service: RegistryService,
  opts: RegistryApiOptions,
  host = "127.0.0.1",
): Promise<ServedApi> {
  const router = new Router();
  registerRegistryApi(router, service, opts);
  const server = new HttpServer({
    name: "registry-api-test",
    router,
    logger: nopLogger,
    metrics: new MetricsRegistry(),
  });
  const port = await server.listen(host, 0);
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, stop: () => server.close(0) };
}

/** One answer of the API, already checked against the OpenAPI document. */
export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly text: string;
  /** The parsed JSON body (undefined for an empty or non-JSON one). */
  readonly body: T;
  readonly headers: Headers;
}

/** Options of one {@link ApiClient} call. */
export interface CallOptions {
  /** JSON body (sent with `Content-Type: application/json` unless `contentType` says otherwise). */
  readonly json?: unknown;
  /** A raw body instead of `json`. */
  readonly raw?: string;
  /** `null` sends no Content-Type. */
  readonly contentType?: string | null;
  readonly headers?: Record<string, string>;
}

/** Calls `method path` (relative to `/api/mirador/v1`) and checks the answer against the document. */
// biome-ignore lint/suspicious/noExplicitAny: the caller names the answer's type; tests read bodies freely.
export type ApiClient = <T = any>(method: string, path: string, opts?: CallOptions) => Promise<ApiAnswer<T>>;

/** An {@link ApiClient} for the API at `baseUrl` whose every answer `checker` validates. */
export function apiClient(baseUrl: string, checker: OpenApiChecker): ApiClient {
  return async (method, path, opts = {}) => {
    const url = new URL(`${REGISTRY_API_PREFIX}${path}`, baseUrl);
    const body = opts.raw ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json));
    const headers: Record<string, string> = { ...opts.headers };
    const type =
      opts.contentType === undefined ? (body === undefined ? null : "application/json") : opts.contentType;
    if (type !== null) headers["content-type"] = type;
    const res = await fetch(url, { method, headers, ...(body !== undefined && { body }) });
    const text = await res.text();
    checker.check(method, url.pathname, res.status, res.headers.get("content-type"), text);
    let parsed: unknown;
    if (text !== "" && (res.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
    return { status: res.status, text, body: parsed as never, headers: res.headers };
  };
}
