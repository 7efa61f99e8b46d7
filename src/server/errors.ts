/**
 * The one registry of Mirador's error codes and their HTTP statuses. Code that fails a request
 * throws an {@link HttpError} with one of these codes; the HTTP layer maps it to a status and a body
 * in the protocol of the endpoint (Prometheus JSON envelope, plain text for write paths).
 *
 * Retry semantics follow the remote-write and Loki push contracts: 400 and 413 are never retried,
 * 429 and 5xx are.
 */
export const ERROR_CODES = {
  /** Malformed request: bad parameter, unparsable query, corrupt body. Never retried. */
  bad_data: 400,
  /** No or malformed tenant, or a tenant the caller may not use. */
  unauthorized: 401,
  /** The caller may not do this. */
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  /** The body is larger than a configured limit. Never retried. */
  too_large: 413,
  /** Content-Type or Content-Encoding the endpoint does not speak. */
  unsupported_media_type: 415,
  /** A query failed at run time (e.g. many-to-many matching). */
  execution: 422,
  /** A rate limit; the sender should retry later. */
  rate_limited: 429,
  /** The client went away. */
  canceled: 499,
  internal: 500,
  /** Not ready, shutting down, or a dependency is down; retry. */
  unavailable: 503,
  /** A deadline passed. */
  timeout: 503,
} as const;

/** One of the registered error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error that carries a stable code (and so an HTTP status) and a message for the user. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. `Retry-After` with a 429. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** The status and code for any thrown value: an HttpError keeps its own, anything else is internal. */
export function classifyError(err: unknown): { code: ErrorCode; status: number; message: string } {
  if (err instanceof HttpError) return { code: err.code, status: err.status, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: "internal", status: 500, message };
}
