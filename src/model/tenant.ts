/** The HTTP header that names the tenant(s) of a request, as in Cortex, Mimir and Loki. */
export const TENANT_HEADER = "x-scope-orgid";

/** Longest tenant id accepted (Cortex's limit). */
export const MAX_TENANT_ID_LENGTH = 150;

const TENANT_ID = /^[a-zA-Z0-9!\-_.*'()]+$/;

/** Why a tenant id was refused, or `undefined` when it is valid. */
export function tenantIdProblem(id: string): string | undefined {
  if (id === "") return "tenant id is empty";
  if (id.length > MAX_TENANT_ID_LENGTH) return `tenant id is longer than ${MAX_TENANT_ID_LENGTH} characters`;
  if (id === "." || id === "..") return `tenant id ${JSON.stringify(id)} is not allowed`;
  if (!TENANT_ID.test(id)) {
    return `tenant id ${JSON.stringify(id)} has a character outside [a-zA-Z0-9!-_.*'()]`;
  }
  return undefined;
}

/**
 * Parses an `X-Scope-OrgID` value: one tenant id, or several joined by `|`. Returns the distinct ids
 * in order, or an error message.
 */
export function parseTenantHeader(value: string | undefined): { tenants: string[] } | { error: string } {
  if (value === undefined || value === "") return { error: "no tenant: set the X-Scope-OrgID header" };
  const tenants: string[] = [];
  for (const id of value.split("|")) {
    const problem = tenantIdProblem(id);
    if (problem) return { error: `bad X-Scope-OrgID: ${problem}` };
    if (!tenants.includes(id)) tenants.push(id);
  }
  return { tenants };
}
