import { TENANT_HEADER } from "../model/tenant.js";

/** The outcome of forwarding a write: the status and body to hand back to the agent. */
export interface ForwardResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Options of an {@link HttpRoleForwarder}; each forwarder documents the settings they come from. */
export interface HttpRoleForwarderOptions {
  /** How long one forwarded request may take, in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** The most a body may expand to when it is counted before forwarding (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
}

/** What differs between the kinds of write an {@link HttpRoleForwarder} hands on. */
export interface HttpRoleForwarderKind {
  /** The role behind the URL, as the message of a 503 names it (`"metrics ingest"`). */
  readonly role: string;
  /**
   * What `admit` is called with for this body (samples, line bytes), expanding it to at most
   * `maxDecompressedBytes`: undefined, or a {@link HttpRoleForwarderKind.refusal} thrown, when it is
   * not a body the role would take.
   */
  count(
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    maxDecompressedBytes: number,
  ): number | undefined;
  /** The error `count` throws for a body the role refuses (`WireError`, `PushError`); others propagate. */
  readonly refusal: abstract new (
    ...args: never[]
  ) => Error;
  /** Whether a header of the role's response (its lowercase name) goes back to the agent. */
  passOn(name: string): boolean;
}

/**
 * Forwards writes over HTTP to a role in another process, as `HttpForwarder` (metrics) and
 * `HttpLogForwarder` (logs) do: counts the body with {@link HttpRoleForwarderKind.count} and calls
 * `admit` with the count before sending (not at all when it cannot be counted: the role refuses the
 * body with its own message), then POSTs the body unchanged with `X-Scope-OrgID` set to the tenant and
 * the request's `Content-Type` and `Content-Encoding`. The role's status and body come back as they
 * are, with the headers {@link HttpRoleForwarderKind.passOn} keeps; a role that cannot be reached, or
 * does not answer within the timeout, is a 503, so that the agent keeps the data and retries.
 */
export class HttpRoleForwarder {
  readonly #timeoutMs: number;
  readonly #maxDecompressedBytes: number;

  constructor(
    private readonly url: string,
    private readonly kind: HttpRoleForwarderKind,
    opts: HttpRoleForwarderOptions = {},
  ) {
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxDecompressedBytes = opts.maxDecompressedBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Forwards `body` for `tenant`. A `GatewayRefusal` thrown by `admit` rejects the returned
   * promise before anything is sent; every other failure becomes a result.
   */
  async forward(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
    admit: (count: number) => void,
  ): Promise<ForwardResult> {
    const count = this.#count(contentType, contentEncoding, body);
    if (count !== undefined) admit(count);
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
      for (const [name, value] of res.headers) if (this.kind.passOn(name)) passOn[name] = value;
      return { status: res.status, body: await res.text(), headers: passOn };
    } catch (err) {
      // The role is unreachable: a 503 tells the agent to keep the data and retry.
      return {
        status: 503,
        body: `${this.kind.role} at ${this.url} is unreachable: ${(err as Error).message}\n`,
        headers: {},
      };
    }
  }

  /** What `admit` is called with, or undefined when the role would refuse the body. */
  #count(
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): number | undefined {
    try {
      return this.kind.count(contentType, contentEncoding, body, this.#maxDecompressedBytes);
    } catch (err) {
      if (err instanceof this.kind.refusal) return undefined;
      throw err;
    }
  }
}
