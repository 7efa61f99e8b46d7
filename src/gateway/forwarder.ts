import { type ReceiveResult, writeOutcome } from "../metrics/index.js";
import { classifyError } from "../server/errors.js";
import { WireError } from "../wire/errors.js";
import { snappyDecompress } from "../wire/snappy.js";
import {
  type ForwardResult,
  HttpRoleForwarder,
  type HttpRoleForwarderKind,
  type HttpRoleForwarderOptions,
} from "./http-forwarder.js";
import { GatewayRefusal } from "./refusal.js";
import { countRemoteWriteSamples, remoteWriteVersion } from "./sample-count.js";

export type { ForwardResult } from "./http-forwarder.js";

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

/**
 * Options of an {@link HttpForwarder}: `maxDecompressedBytes` bounds a body expanded to count its
 * samples (`metrics.max_write_decompressed_bytes`).
 */
export type HttpForwarderOptions = HttpRoleForwarderOptions;

/** Remote-write bodies, as {@link HttpForwarder} counts them and hands on the ingest's answer. */
const REMOTE_WRITE: HttpRoleForwarderKind = {
  role: "metrics ingest",
  count(contentType, contentEncoding, body, maxDecompressedBytes) {
    const version = remoteWriteVersion(contentType);
    if (version === undefined || (contentEncoding ?? "").trim().toLowerCase() !== "snappy") return undefined;
    return countRemoteWriteSamples(snappyDecompress(body, maxDecompressedBytes), version);
  },
  refusal: WireError,
  passOn: (name) => name === "retry-after" || name.startsWith("x-prometheus-remote-write-"),
};

/**
 * Forwards over HTTP to a metrics role in another process (`gateway.forward_url`). The samples
 * are counted here, by decompressing the body and walking its protobuf framing
 * ({@link countRemoteWriteSamples}); a body that cannot be counted is forwarded without calling
 * `admit`, and the ingest refuses it (400, 413 or 415) with its own message. The ingest's
 * `Retry-After` and `X-Prometheus-Remote-Write-*` headers go back to the agent.
 */
export class HttpForwarder extends HttpRoleForwarder implements WriteForwarder {
  constructor(url: string, opts: HttpForwarderOptions = {}) {
    super(url, REMOTE_WRITE, opts);
  }
}
