import type { IncomingMessage } from "node:http";
import { parseTenantHeader, TENANT_HEADER } from "../../model/tenant.js";
import { HttpError } from "../errors.js";

/**
 * The tenants a request names: the `X-Scope-OrgID` header, or else the username of HTTP Basic
 * authentication (the convention of hosted Mimir and Loki gateways, and the only way some clients —
 * Debian's Prometheus 2.42 ignores `remote_write.headers`, promtool sends no custom headers — can
 * name a tenant). The password is not checked: these endpoints answer loopback only until
 * authentication exists. 401 when neither is present or the value is malformed.
 */
export function requestTenants(req: IncomingMessage): string[] {
  const raw = req.headers[TENANT_HEADER];
  const value = Array.isArray(raw) ? raw.join("|") : (raw ?? basicAuthUser(req.headers.authorization));
  const parsed = parseTenantHeader(value);
  if ("error" in parsed) {
    throw new HttpError(
      "unauthorized",
      value === undefined
        ? "no tenant: set the X-Scope-OrgID header (or the Basic auth username)"
        : parsed.error,
    );
  }
  return parsed.tenants;
}

/** The single tenant a write names; 400 when it names several. */
export function writeTenant(req: IncomingMessage): string {
  const tenants = requestTenants(req);
  if (tenants.length !== 1)
    throw new HttpError(
      "bad_data",
      `a write must name exactly one tenant in X-Scope-OrgID, got ${tenants.length}`,
    );
  return tenants[0]!;
}

/** The username of an `Authorization: Basic …` header, if there is one. */
export function basicAuthUser(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === "" ? undefined : user;
}
