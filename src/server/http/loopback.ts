import type { IncomingMessage } from "node:http";
import { HttpError } from "../errors.js";

/** Whether an address is on the loopback range (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === "::1") return true;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.");
}

/**
 * Refuses (403) a request that does not come from loopback. The tenant-trusting APIs (internal
 * write path, read API) are reachable only from this machine until authentication exists.
 */
export function requireLoopback(req: IncomingMessage): void {
  if (!isLoopback(req.socket.remoteAddress)) {
    throw new HttpError(
      "forbidden",
      `this endpoint trusts X-Scope-OrgID and is only served to loopback clients until authentication is configured; agents write through the gateway`,
    );
  }
}
