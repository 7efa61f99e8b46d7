import { classifyError, HttpError } from "../server/errors.js";
import { decodePushBody, PushError, pushLineBytes } from "../wire/loki/index.js";
import {
  type ForwardResult,
  HttpRoleForwarder,
  type HttpRoleForwarderKind,
  type HttpRoleForwarderOptions,
} from "./http-forwarder.js";
import { GatewayRefusal } from "./refusal.js";

/**
 * The gateway's say on a logs push once its line bytes are counted: returns to let it through,
 * throws a {@link GatewayRefusal} (429) to refuse it, in which case nothing of the push is kept.
 * `lineBytes` counts every entry's line and structured metadata (names and values), refused
 * entries included, in the units of {@link countLogLineBytes}.
 */
export type AdmitLogBytes = (lineBytes: number) => void;

/** Hands a Loki push, already attributed to its tenant, to the logs ingest. */
export interface LogForwarder {
  /**
   * Forwards `body` for `tenant`, calling `admit` exactly once with the push's line bytes before
   * anything is kept — or not at all when they cannot be known (a body the ingest refuses anyway).
   * A {@link GatewayRefusal} thrown by `admit` rejects the returned promise; every other failure
   * becomes a result (400/413/415: the data is wrong; 429/5xx: the agent keeps it and retries).
   */
  forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: AdmitLogBytes,
  ): Promise<ForwardResult>;
}

/**
 * The in-process ingest of a logs role running in the same process (`LogsRole` fits): it decodes
 * the body, calls `admit` with the line bytes before keeping anything, and throws an `HttpError`
 * for a body it refuses whole (400/413/415) or a tenant over its own rate (429).
 */
export interface LocalLogIngest {
  receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
    admit?: AdmitLogBytes,
  ): Promise<{ status: number; body: string }>;
}

/** Forwards to a logs role in the same process: no extra hop, the same statuses as over HTTP. */
export class LocalLogForwarder implements LogForwarder {
  constructor(private readonly target: LocalLogIngest) {}

  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: AdmitLogBytes,
  ): Promise<ForwardResult> {
    try {
      const result = await this.target.receive(tenant, { contentType, contentEncoding }, body, admit);
      return { status: result.status, body: result.body, headers: {} };
    } catch (err) {
      if (err instanceof GatewayRefusal) throw err;
      const { status, message } = classifyError(err);
      // An HttpError's headers (Retry-After of the ingest's own 429) go back to the agent.
      const headers = err instanceof HttpError ? { ...lowerCased(err.headers) } : {};
      return { status, body: `${message}\n`, headers };
    }
  }
}

/**
 * Options of an {@link HttpLogForwarder}: `maxDecompressedBytes` bounds a body expanded to count its
 * line bytes (`logs.max_push_decompressed_bytes`).
 */
export type HttpLogForwarderOptions = HttpRoleForwarderOptions;

/** Loki push bodies, as {@link HttpLogForwarder} counts them and hands on the logs role's answer. */
const LOKI_PUSH: HttpRoleForwarderKind = {
  role: "logs ingest",
  count: (contentType, contentEncoding, body, maxDecompressedBytes) =>
    countLogLineBytes(
      decodePushBody(
        { contentType, contentEncoding, body },
        { maxDecompressedBytes, setting: "logs.max_push_decompressed_bytes" },
      ),
    ),
  refusal: PushError,
  passOn: (name) => name === "retry-after",
};

/**
 * Forwards over HTTP to a logs role in another process (`gateway.logs_forward_url`, its
 * `/loki/api/v1/push`), with `X-Scope-OrgID` set to the tenant. The line bytes are counted here,
 * by decoding the body as the logs role does ({@link decodePushBody}); a body that does not decode
 * is forwarded without calling `admit`, and the logs role refuses it (400, 413 or 415) with its own
 * message. The logs role's `Retry-After` goes back to the agent.
 */
export class HttpLogForwarder extends HttpRoleForwarder implements LogForwarder {
  constructor(url: string, opts: HttpLogForwarderOptions = {}) {
    super(url, LOKI_PUSH, opts);
  }
}

/** The line bytes of a push (lines and structured metadata), as the logs role counts them. */
export const countLogLineBytes = pushLineBytes;

function lowerCased(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
