/**
 * One POST of a remote-write body and what its answer means for the sender (docs/api/agent-protocol.md):
 * sent (2xx), retry (429, 5xx, 403, network error, timeout), flow disabled (423) or refused (any other
 * status: retrying cannot help).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { type ClientTls, IdentityAgent } from "./identity-agent.js";
import type { RemoteWriteVersion } from "./request-encoder.js";
import { parseRetryAfter } from "./retry.js";

/** The verdict on one attempt. `message` is the server's body (trimmed, at most 1 KiB) or the error. */
export type PostOutcome =
  | { readonly kind: "sent"; readonly status: number }
  | {
      readonly kind: "retry";
      /** `http_429`, `http_5xx`, `http_403`, `network` or `timeout`. */
      readonly reason: string;
      readonly status: number;
      readonly message: string;
      readonly retryAfterMs: number | undefined;
    }
  | {
      /** 423: the seed switched this data flow off; the batch must be dropped, not kept. */
      readonly kind: "flow_disabled";
      readonly status: number;
      /** The `Mirador-Flow` header (when absent: `logs` for a Loki push, else `metrics`). */
      readonly flow: string;
      readonly message: string;
    }
  | { readonly kind: "refused"; readonly status: number; readonly message: string };

/**
 * The least wait after a 403 (the certificate names no registered cluster): only an admin can fix
 * that, so retrying often buys nothing.
 */
export const FORBIDDEN_RETRY_MS = 30_000;

/** What a body is: remote-write 1.0 or 2.0, or a Loki push (protobuf + snappy, as Promtail sends it). */
export type PostBodyKind = RemoteWriteVersion | "loki";

const CONTENT_TYPE: Record<PostBodyKind, string> = {
  "1.0": "application/x-protobuf;proto=prometheus.WriteRequest",
  "2.0": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
  loki: "application/x-protobuf",
};
const VERSION_HEADER: Record<PostBodyKind, string | undefined> = {
  "1.0": "0.1.0",
  "2.0": "2.0.0",
  loki: undefined,
};
/** Request headers the client sets itself for a body of `kind`: configured headers may not set them. */
export function protocolHeaders(kind: PostBodyKind): ReadonlySet<string> {
  const names = ["content-type", "content-encoding", "content-length", "user-agent"];
  if (VERSION_HEADER[kind] !== undefined) names.push("x-prometheus-remote-write-version");
  return new Set(names);
}

/** The flow a 423 refers to when the answer does not name one. */
const DEFAULT_FLOW: Record<PostBodyKind, string> = { "1.0": "metrics", "2.0": "metrics", loki: "logs" };
const MAX_MESSAGE = 1024;

/**
 * Posts snappy-compressed remote-write bodies to one URL over keep-alive connections; over https with
 * an mTLS identity that {@link RemoteWriteClient.setTls} replaces without interrupting requests.
 */
export class RemoteWriteClient {
  readonly #url: URL;
  readonly #plain: HttpAgent | undefined;
  readonly #tls: IdentityAgent | undefined;

  constructor(
    url: string,
    tls: ClientTls | undefined,
    private readonly timeoutMs: number,
    maxSockets: number,
    private readonly userAgent: string,
    private readonly now: () => number = Date.now,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {
    this.#url = new URL(url);
    if (this.#url.protocol === "https:") {
      if (tls === undefined)
        throw new Error(`remote-write url ${url} is https but no client certificate was given (tls)`);
      this.#tls = new IdentityAgent(tls, maxSockets);
    } else this.#plain = new HttpAgent({ keepAlive: true, maxSockets });
  }

  /**
   * Uses `tls` for new connections; requests in flight finish on the old ones, which are closed
   * once idle. Ignored for an http URL.
   */
  setTls(tls: ClientTls): void {
    this.#tls?.setTls(tls);
  }

  /** Sends `body` (snappy-compressed, of `version`); never rejects. */
  post(body: Uint8Array, version: PostBodyKind, signal: AbortSignal): Promise<PostOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const lease = this.#tls?.lease();
      const done = (o: PostOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        lease?.release();
        resolve(o);
      };
      const fail = (reason: string, message: string) =>
        done({ kind: "retry", reason, status: 0, message, retryAfterMs: undefined });
      const req = (lease === undefined ? httpRequest : httpsRequest)(
        this.#url,
        {
          method: "POST",
          agent: lease?.agent ?? this.#plain,
          signal,
          headers: {
            ...this.headers,
            "content-type": CONTENT_TYPE[version],
            "content-encoding": "snappy",
            "content-length": String(body.length),
            "user-agent": this.userAgent,
            ...(VERSION_HEADER[version] === undefined
              ? {}
              : { "x-prometheus-remote-write-version": VERSION_HEADER[version] }),
          },
        },
        (res) => this.#answer(res, DEFAULT_FLOW[version], done),
      );
      const timer = setTimeout(() => {
        fail("timeout", `no answer within ${this.timeoutMs} ms`);
        req.destroy();
      }, this.timeoutMs);
      req.on("error", (err) => fail(signal.aborted ? "aborted" : "network", err.message));
      req.end(body);
    });
  }

  #answer(res: IncomingMessage, defaultFlow: string, done: (o: PostOutcome) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      if (size < MAX_MESSAGE) chunks.push(c);
      size += c.length;
    });
    res.on("error", (err) =>
      done({ kind: "retry", reason: "network", status: 0, message: err.message, retryAfterMs: undefined }),
    );
    res.on("end", () => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        done({ kind: "sent", status });
        return;
      }
      const message = Buffer.concat(chunks).toString("utf8").slice(0, MAX_MESSAGE).trim();
      const ra = res.headers["retry-after"];
      const retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, this.now());
      if (status === 429 || status >= 500) {
        done({
          kind: "retry",
          reason: status === 429 ? "http_429" : "http_5xx",
          status,
          message,
          retryAfterMs,
        });
      } else if (status === 403) {
        done({
          kind: "retry",
          reason: "http_403",
          status,
          message,
          retryAfterMs: Math.max(retryAfterMs ?? 0, FORBIDDEN_RETRY_MS),
        });
      } else if (status === 423) {
        const flow = res.headers["mirador-flow"];
        done({
          kind: "flow_disabled",
          status,
          flow: (Array.isArray(flow) ? flow[0] : flow)?.trim().toLowerCase() || defaultFlow,
          message,
        });
      } else done({ kind: "refused", status, message });
    });
  }

  /** Closes idle connections; requests in flight are aborted by their signals. */
  close(): void {
    this.#plain?.destroy();
    this.#tls?.close();
  }
}
