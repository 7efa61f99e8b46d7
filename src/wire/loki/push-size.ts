import type { PushRequest } from "./types.js";

/**
 * The bytes of a push's lines and structured metadata (names and values), counted in UTF-16 code
 * units (bytes for ASCII): what the gateway's log-bytes bucket and the logs role's ingestion rate
 * charge, so both count the same.
 */
export function pushLineBytes(req: PushRequest): number {
  let n = 0;
  for (const s of req.streams) {
    for (const e of s.entries) {
      n += e.line.length;
      for (const [name, value] of e.structuredMetadata ?? []) n += name.length + value.length;
    }
  }
  return n;
}
