/**
 * Requests to the gateway's control endpoints (docs/api/agent-protocol.md) over the agent's mTLS
 * identity: the configuration long-poll, heartbeats and certificate renewal.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { type ClientTls, IdentityAgent } from "../remote-write/index.js";
import {
  type CertificateAnswer,
  type HeartbeatReport,
  parseCertificateAnswer,
  parseRemoteConfig,
  type RemoteConfig,
} from "./protocol.js";

/** Why a control request failed. */
export type ControlErrorCode = "network" | "timeout" | "aborted" | "http_status" | "bad_answer";

/** A failed control request; `status` is the HTTP status when there was an answer. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

/** A config request's outcome: a different version (with the body as received, for the cache), or none. */
export type ConfigAnswer =
  | { readonly kind: "changed"; readonly config: RemoteConfig; readonly raw: unknown }
  | { readonly kind: "unchanged" };

/** Largest answer body read, bytes. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** How long past the long-poll wait a request may take before it is given up. */
const TIMEOUT_MARGIN_MS = 15_000;
/** Connections per identity: the long-poll, a heartbeat and a renewal at once. */
const MAX_SOCKETS = 4;

/** A client of one gateway's control endpoints. `close` when done. */
export class ControlClient {
  readonly #base: string;
  readonly #tls: IdentityAgent | undefined;
  readonly #plain: HttpAgent | undefined;

  /**
   * `baseUrl` is the gateway's origin (or a prefix ending before `/agent/v1/…`); https needs `tls`,
   * http (tests) takes none.
   */
  constructor(
    baseUrl: string,
    tls: ClientTls | undefined,
    private readonly userAgent: string,
  ) {
    const url = new URL(baseUrl);
    this.#base = url.href.replace(/\/+$/, "");
    if (url.protocol === "https:") {
      if (tls === undefined)
        throw new Error(`control url ${baseUrl} is https but no client certificate was given (tls)`);
      this.#tls = new IdentityAgent(tls, MAX_SOCKETS);
    } else this.#plain = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  }

  /** The control endpoint's base URL. */
  get url(): string {
    return this.#base;
  }

  /**
   * `GET /agent/v1/config`: with `known`, sends `If-None-Match` and lets the gateway hold the
   * answer up to `waitMs` until the version changes; without, asks for the current version now.
   */
  async fetchConfig(known: number | undefined, waitMs: number, signal: AbortSignal): Promise<ConfigAnswer> {
    const wait = known === undefined ? 0 : Math.max(0, Math.min(60, Math.floor(waitMs / 1000)));
    const res = await this.#request({
      method: "GET",
      path: `/agent/v1/config?wait=${wait}`,
      headers: known === undefined ? {} : { "if-none-match": `"${known}"` },
      timeoutMs: wait * 1000 + TIMEOUT_MARGIN_MS,
      signal,
    });
    if (res.status === 304) return { kind: "unchanged" };
    if (res.status !== 200) throw statusError("GET /agent/v1/config", res.status, res.body);
    const raw = parseJson("GET /agent/v1/config", res.body);
    try {
      return { kind: "changed", config: parseRemoteConfig(raw), raw };
    } catch (err) {
      throw new ControlError("bad_answer", `GET /agent/v1/config: ${(err as Error).message}`, res.status);
    }
  }

  /** `POST /agent/v1/heartbeat`; resolves on a 2xx answer. */
  async heartbeat(report: HeartbeatReport, signal: AbortSignal): Promise<void> {
    const res = await this.#request({
      method: "POST",
      path: "/agent/v1/heartbeat",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(report),
      timeoutMs: TIMEOUT_MARGIN_MS,
      signal,
    });
    if (res.status < 200 || res.status >= 300)
      throw statusError("POST /agent/v1/heartbeat", res.status, res.body);
  }

  /** `POST /agent/v1/certificate` with a PKCS#10 request (PEM); the new certificate. */
  async renewCertificate(csrPem: string, signal: AbortSignal): Promise<CertificateAnswer> {
    const res = await this.#request({
      method: "POST",
      path: "/agent/v1/certificate",
      headers: { "content-type": "application/pkcs10" },
      body: csrPem,
      timeoutMs: 2 * TIMEOUT_MARGIN_MS,
      signal,
    });
    if (res.status !== 200) throw statusError("POST /agent/v1/certificate", res.status, res.body);
    try {
      return parseCertificateAnswer(parseJson("POST /agent/v1/certificate", res.body));
    } catch (err) {
      if (err instanceof ControlError) throw err;
      throw new ControlError("bad_answer", `POST /agent/v1/certificate: ${(err as Error).message}`, 200);
    }
  }

  /** New connections use `tls`; requests in flight finish on theirs. Ignored over http. */
  setTls(tls: ClientTls): void {
    this.#tls?.setTls(tls);
  }

  /** Closes every connection. */
  close(): void {
    this.#tls?.close();
    this.#plain?.destroy();
  }

  #request(r: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    signal: AbortSignal;
  }): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      if (r.signal.aborted) {
        reject(new ControlError("aborted", `${r.method} ${r.path}: aborted`));
        return;
      }
      const lease = this.#tls?.lease();
      let settled = false;
      const finish = (
        err: ControlError | undefined,
        value?: { status: number; headers: IncomingHttpHeaders; body: Buffer },
      ) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.signal.removeEventListener("abort", onAbort);
        lease?.release();
        if (err !== undefined) reject(err);
        else resolve(value!);
      };
      const body = r.body === undefined ? undefined : Buffer.from(r.body, "utf8");
      const req = (lease === undefined ? httpRequest : httpsRequest)(
        `${this.#base}${r.path}`,
        {
          method: r.method,
          agent: lease?.agent ?? this.#plain,
          headers: {
            ...r.headers,
            "user-agent": this.userAgent,
            ...(body !== undefined && { "content-length": String(body.length) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy();
              finish(
                new ControlError(
                  "bad_answer",
                  `${r.method} ${r.path}: answer larger than ${MAX_ANSWER_BYTES} bytes`,
                ),
              );
              return;
            }
            chunks.push(c);
          });
          res.on("error", (err) =>
            finish(new ControlError("network", `${r.method} ${r.path}: ${err.message}`)),
          );
          res.on("end", () =>
            finish(undefined, {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      const onAbort = () => {
        finish(new ControlError("aborted", `${r.method} ${r.path}: aborted`));
        req.destroy();
      };
      r.signal.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => {
        finish(new ControlError("timeout", `${r.method} ${r.path}: no answer within ${r.timeoutMs} ms`));
        req.destroy();
      }, r.timeoutMs);
      req.on("error", (err) => finish(new ControlError("network", `${r.method} ${r.path}: ${err.message}`)));
      req.end(body);
    });
  }
}

function statusError(what: string, status: number, body: Buffer): ControlError {
  const text = body.toString("utf8").slice(0, 512).trim();
  return new ControlError(
    "http_status",
    `${what} answered ${status}${text === "" ? "" : `: ${text}`}`,
    status,
  );
}

function parseJson(what: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new ControlError("bad_answer", `${what}: the answer is not JSON (${(err as Error).message})`, 200);
  }
}
