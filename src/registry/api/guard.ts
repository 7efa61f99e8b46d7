import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { HttpError } from "../../server/errors.js";
import { isLoopback } from "../../server/http/loopback.js";

/**
 * Refuses (403) a request the admin API must not serve: one from another machine (the API is
 * admin-only and served to loopback until users and authentication exist, as ADR 6 says for the
 * read API), or one whose `Host` is a name other than this machine's — a web page that rebinds its
 * own name to 127.0.0.1 would otherwise read keys and revoke certificates from the admin's browser.
 */
export function requireLocalAdmin(req: IncomingMessage): void {
  if (!isLoopback(req.socket.remoteAddress)) {
    throw new HttpError(
      "forbidden",
      "the registry API is served to clients on the seed's own machine only until users and authentication exist; run `mirador cluster …` on the seed's host (or through an SSH tunnel to its HTTP port)",
    );
  }
  const host = req.headers.host;
  if (host !== undefined && !localHostName(hostOf(host))) {
    throw new HttpError(
      "forbidden",
      `the registry API answers requests addressed to localhost, an IP address or this machine's name, not ${JSON.stringify(host)}`,
    );
  }
}

/** The host part of a Host header: `[::1]:9700` → `::1`, `localhost:9700` → `localhost`. */
function hostOf(header: string): string {
  if (header.startsWith("[")) {
    const end = header.indexOf("]");
    return header.slice(1, end < 0 ? undefined : end);
  }
  const colon = header.lastIndexOf(":");
  return (colon < 0 ? header : header.slice(0, colon)).toLowerCase();
}

function localHostName(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const own = hostname().toLowerCase();
  return host === own || host === own.split(".")[0];
}
