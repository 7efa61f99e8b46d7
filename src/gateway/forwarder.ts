import { type ReceiveResult, writeOutcome } from "../metrics/index.js";
import { TENANT_HEADER } from "../model/tenant.js";
import { classifyError } from "../server/errors.js";
import { WireError } from "../wire/errors.js";
import { snappyDecompress } from "../wire/snappy.js";
import { GatewayRefusal } from "./refusal.js";
import { countRemoteWriteSamples, remoteWriteVersion } from "./sample-count.js";

/** The outcome of forwarding a write: the status and body to hand back to the agent. */
export interface ForwardResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The gateway's say on a write once its samples are counted: returns to let it through, throws a
 * {@link GatewayRefusal} (429) to refuse it, in which case nothing of the request is kept.
 * `samples` counts float samples and native histograms, refused ones included.
 */
export type AdmitSamples = (samples: number) => void;

/** Hands a write, already attributed to its tenant, to the metrics ingest. */
export interface WriteForwarder {
  /**
   * Forwards `body` for `tenant`, calling `admit` exactly once with the request's sample count
   * before anything is kept — or not at all when the count cannot be known (a body the ingest
   * refuses anyway). A {@link GatewayRefusal} thrown by `admit` rejects the returned promise;
   * every other failure becomes a result (5xx: the agent keeps the data and retries).
   */
  forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: AdmitSamples,
  ): Promise<ForwardResult>;
}

/**
 * The in-process ingest of a metrics role running in the same process (`MetricsRole` fits): its
 * remote-write receiver, which calls `admit` with the sample count after decoding and before
 * committing, so the body is decompressed and decoded once.
 */
export interface LocalIngest {
  readonly receiver: {
    receive(
      tenant: string,
      headers: { contentType: string | undefined; contentEncoding: string | undefined },
      body: Uint8Array,
      admit?: AdmitSamples,
    ): Promise<ReceiveResult>;
  };
}

/** Forwards to a metrics role in the same process: no extra hop, the same statuses as over HTTP. */
export class LocalForwarder implements WriteForwarder {
  constructor(private readonly target: LocalIngest) {}

  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: AdmitSamples,
  ): Promise<ForwardResult> {
    try {
      return writeOutcome(
        await this.target.receiver.receive(tenant, { contentType, contentEncoding }, body, admit),
      );
    } catch (err) {
      if (err instanceof GatewayRefusal) throw err;
      const { status, message } = classifyError(err);
      return { status, body: `${message}\n`, headers: {} };
    }
  }
}

/** Options of an {@link HttpForwarder}. */
export interface HttpForwarderOptions {
  /** How long one forwarded request may take, in milliseconds. */
  readonly timeoutMs?: number;
  /** The most a body may expand to when its samples are counted (`metrics.max_write_decompressed_bytes`). */
  readonly maxDecompressedBytes?: number;
}

/**
 * Forwards over HTTP to a metrics role in another process (`gateway.forward_url`). The samples
 * are counted here, by decompressing the body and walking its protobuf framing
 * ({@link countRemoteWriteSamples}); a body that cannot be counted is forwarded without calling
 * `admit`, and the ingest refuses it (400, 413 or 415) with its own message.
 */
export class HttpForwarder implements WriteForwarder {
  readonly #timeoutMs: number;
  readonly #maxDecompressedBytes: number;

  constructor(
    private readonly url: string,
    opts: HttpForwarderOptions = {},
  ) {
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxDecompressedBytes = opts.maxDecompressedBytes ?? 64 * 1024 * 1024;
  }

  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: AdmitSamples,
  ): Promise<ForwardResult> {
    const samples = this.#count(contentType, contentEncoding, body);
    if (samples !== undefined) admit(samples);
    const headers: Record<string, string> = { [TENANT_HEADER]: tenant };
    if (contentType !== undefined) headers["content-type"] = contentType;
    if (contentEncoding !== undefined) headers["content-encoding"] = contentEncoding;
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
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

  /** The samples of a remote-write body, or undefined when it is not one the ingest would take. */
  #count(
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): number | undefined {
    const version = remoteWriteVersion(contentType);
    if (version === undefined || (contentEncoding ?? "").trim().toLowerCase() !== "snappy") return undefined;
    try {
      return countRemoteWriteSamples(snappyDecompress(body, this.#maxDecompressedBytes), version);
    } catch (err) {
      if (err instanceof WireError) return undefined;
      throw err;
    }
  }
}
