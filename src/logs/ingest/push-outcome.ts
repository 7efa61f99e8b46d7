/**
 * The HTTP answer to a Loki push, in the style of the metrics write paths
 * (`src/metrics/ingest/sample-writer.ts`): 204 when everything was kept, else 400 (never retried:
 * the same entries would be refused again) listing what was refused; the valid entries are kept.
 */
import { HttpError } from "../../server/errors.js";
import { PUSH_ERROR_HTTP_CODE, type PushError } from "../../wire/loki/index.js";
import type { PushValidation } from "./validate.js";

/** The status and plain-text body for a validated push whose accepted entries were stored. */
export function pushOutcome(v: PushValidation): { status: 204 | 400; body: string } {
  if (v.refused === 0) return { status: 204, body: "" };
  const more = v.refused > v.errors.length ? `\n(and ${v.refused - v.errors.length} more)` : "";
  const reasons = Object.entries(v.refusedByReason)
    .map(([reason, n]) => `${reason}=${n}`)
    .join(", ");
  return {
    status: 400,
    body: `${v.refused} entries refused (${reasons}), ${v.accepted} accepted:\n${v.errors.join("\n")}${more}\n`,
  };
}

/** A push refused as a whole ({@link PushError}) as an {@link HttpError}: 400, 413 or 415. */
export function pushErrorToHttp(err: PushError): HttpError {
  return new HttpError(PUSH_ERROR_HTTP_CODE[err.code], err.message);
}
