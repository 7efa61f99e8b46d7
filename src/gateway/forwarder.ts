import { type ReceiveResult, writeOutcome } from "../metrics/index.js";
import { TENANT_HEADER } from "../model/tenant.js";
import { classifyError } from "../server/errors.js";

/** The outcome of forwarding a write: the status and body to hand back to the agent. */
export interface ForwardResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Hands a write, already attributed to its tenant, to the metrics ingest. */
export interface WriteForwarder {
  forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): Promise<ForwardResult>;
}

/** The in-process ingest of a metrics role running in the same process. */
export interface LocalIngest {
  ingest(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): Promise<ReceiveResult>;
}

/** Forwards to a metrics role in the same process: no extra hop, the same statuses as over HTTP. */
export class LocalForwarder implements WriteForwarder {
  constructor(private readonly target: LocalIngest) {}

  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): Promise<ForwardResult> {
    try {
      return writeOutcome(await this.target.ingest(tenant, contentType, contentEncoding, body));
    } catch (err) {
      const { status, message } = classifyError(err);
      return { status, body: `${message}\n`, headers: {} };
    }
  }
}

/** Forwards over HTTP to a metrics role in another process (`gateway.forward_url`). */
export class HttpForwarder implements WriteForwarder {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): Promise<ForwardResult> {
    const headers: Record<string, string> = { [TENANT_HEADER]: tenant };
    if (contentType !== undefined) headers["content-type"] = contentType;
    if (contentEncoding !== undefined) headers["content-encoding"] = contentEncoding;
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const passOn: Record<string, string> = {};
      for (const [name, value] of res.headers) {
        if (name === "retry-after" || name.startsWith("x-prometheus-remote-write-")) passOn[name] = value;
      }
      return { status: res.status, body: await res.text(), headers: passOn };
    } catch (err) {
      // The ingest is unreachable: a 503 tells the agent to keep the data and retry.
      return {
        status: 503,
        body: `metrics ingest at ${this.url} is unreachable: ${(err as Error).message}\n`,
        headers: {},
      };
    }
  }
}
