/**
 * Stable codes of the errors the certificate authority throws. `CA_*` codes are about the CA's own
 * files and mean the seed cannot start its gateway; `BAD_*` codes are about a caller's request.
 */
export type CaErrorCode =
  | "CA_INCOMPLETE"
  | "CA_KEY_PERMISSIONS"
  | "CA_UNREADABLE"
  | "CA_KEY_MISMATCH"
  | "CA_EXPIRED"
  | "BAD_COMMON_NAME"
  | "BAD_CLUSTER_ID"
  | "BAD_HOST"
  | "BAD_LIFETIME"
  | "BAD_CSR"
  | "BAD_SERIAL";

/** An error from the certificate authority, with a stable `code` and a message that says how to fix it. */
export class CaError extends Error {
  /** Which problem this is; stable across releases, safe to switch on. */
  readonly code: CaErrorCode;

  /** Builds an error with `code` and a message naming the file or value at fault. */
  constructor(code: CaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CaError";
    this.code = code;
  }
}
