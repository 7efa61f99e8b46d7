import type { IncomingMessage } from "node:http";
import { parseTenantHeader, TENANT_HEADER } from "../../model/tenant.js";
import { HttpError } from "../errors.js";

/** The tenants named by a request's `X-Scope-OrgID` header; 401 when absent or malformed. */
export function requestTenants(req: IncomingMessage): string[] {
  const raw = req.headers[TENANT_HEADER];
  const parsed = parseTenantHeader(Array.isArray(raw) ? raw.join("|") : raw);
  if ("error" in parsed) throw new HttpError("unauthorized", parsed.error);
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
