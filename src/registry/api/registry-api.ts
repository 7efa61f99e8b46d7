import type { z } from "zod";
import { HttpError } from "../../server/errors.js";
import { readBody } from "../../server/http/body.js";
import { sendJSON, sendText } from "../../server/http/reply.js";
import type { RouteRequest, Router } from "../../server/http/router.js";
import { type ClusterLimits, type ClusterSpec, RegistryError, type RegistryService } from "../model.js";
import { requireLocalAdmin } from "./guard.js";
import {
  agentConfigSchema,
  createClusterSchema,
  createProjectSchema,
  describeIssues,
  emptyBodySchema,
  flowsSchema,
  type limitsPatchSchema,
  type limitsSchema,
  patchClusterSchema,
  revokeSchema,
  rotateSchema,
} from "./requests.js";
import {
  agentConfigJSON,
  bundleJSON,
  certificateJSON,
  clusterJSON,
  projectJSON,
  type StatusJSON,
  statusJSON,
} from "./wire.js";

/** Where every registry API route lives. */
export const REGISTRY_API_PREFIX = "/api/mirador/v1";

/** The HTTP status of each {@link RegistryError} kind: the one place the registry maps them. */
export const REGISTRY_ERROR_STATUS: Readonly<Record<RegistryError["kind"], number>> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};

/** Options of {@link registerRegistryApi}. */
export interface RegistryApiOptions {
  /** The seed CA's certificate (PEM), served at `GET /ca` for agents and tools that must trust it. */
  readonly caPem: () => string;
  /** Largest JSON body accepted, in bytes (413 beyond). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The configuration key that raises {@link maxBodyBytes}, named in the 413 message. */
  readonly maxBodySetting?: string;
  /**
   * The gateway URL agents should ship to (`https://seed.example:9701`), returned with every new
   * certificate bundle so that the CLI can write it into the install bundle; omitted or
   * `undefined` → `null`. A function is asked at each request (the gateway may bind after this).
   */
  readonly gatewayUrl?: string | (() => string | undefined);
}

/** A route's answer: a status and a JSON value, or nothing for 204. */
type Answer = { readonly status: number; readonly body?: unknown };
type Registrar = Pick<Router, "on">;

/**
 * Adds the registry's admin API under `/api/mirador/v1/` to `router`: projects, clusters, flows,
 * certificates, agent configurations and status (`docs/api/openapi.yaml` is the reference). Every
 * route is served to loopback clients only; bodies are JSON (`Content-Type: application/json`,
 * which a cross-site form cannot send), at most `maxBodyBytes`, validated field by field.
 * RegistryError kinds map to 400/403/404/409 with the error envelope of the other JSON APIs.
 */
export function registerRegistryApi(
  router: Registrar,
  service: RegistryService,
  opts: RegistryApiOptions,
): void {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const gatewayUrl = () => (typeof opts.gatewayUrl === "function" ? opts.gatewayUrl() : opts.gatewayUrl);
  const setting = opts.maxBodySetting ?? "server.max_query_body_bytes";
  const on = (method: string, path: string, handle: (r: RouteRequest) => Promise<Answer>) =>
    router.on(method, `${REGISTRY_API_PREFIX}${path}`, async (r) => {
      requireLocalAdmin(r.raw);
      let answer: Answer;
      try {
        answer = await handle(r);
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        sendJSON(r.res, REGISTRY_ERROR_STATUS[err.kind], {
          status: "error",
          errorType: err.kind,
          error: err.message,
        });
        return;
      }
      if (answer.body === undefined) {
        r.res.writeHead(answer.status);
        r.res.end();
      } else sendJSON(r.res, answer.status, answer.body);
    });
  const body = <S extends z.ZodType>(r: RouteRequest, schema: S) => readJSON(r, schema, maxBody, setting);
  const ok = (value: unknown, status = 200): Answer => ({ status, body: value });
  const cluster = async (name: string) => {
    const c = await service.getCluster(name);
    if (!c) throw new RegistryError("not_found", `cluster ${JSON.stringify(name)} is not registered`);
    return c;
  };

  on("GET", "/projects", async () => ok({ projects: (await service.listProjects()).map(projectJSON) }));
  on("POST", "/projects", async (r) => {
    const b = await body(r, createProjectSchema);
    return ok(projectJSON(await service.createProject(b.name, b.description)), 201);
  });
  on("GET", "/projects/:name", async (r) => {
    const p = await service.getProject(r.params.name!);
    if (!p) throw new RegistryError("not_found", `project ${JSON.stringify(r.params.name)} does not exist`);
    return ok(projectJSON(p));
  });
  on("DELETE", "/projects/:name", async (r) => {
    await service.deleteProject(r.params.name!);
    return { status: 204 };
  });

  on("GET", "/clusters", async (r) => {
    const project = r.url.searchParams.get("project") ?? undefined;
    if (project !== undefined && !(await service.getProject(project)))
      throw new RegistryError("not_found", `project ${JSON.stringify(project)} does not exist`);
    return ok({ clusters: (await service.listClusters(project)).map(clusterJSON) });
  });
  on("POST", "/clusters", async (r) => {
    const b = await body(r, createClusterSchema);
    const spec: ClusterSpec = {
      project: b.project,
      ...(b.labels !== undefined && { labels: b.labels }),
      ...(b.limits !== undefined && { limits: definedLimits(b.limits) }),
      ...(b.metrics_enabled !== undefined && { metricsEnabled: b.metrics_enabled }),
      ...(b.logs_enabled !== undefined && { logsEnabled: b.logs_enabled }),
    };
    const { cluster: c, issued } = await service.addCluster(b.name, spec);
    return ok({ cluster: clusterJSON(c), bundle: bundleJSON(issued, gatewayUrl()) }, 201);
  });
  on("GET", "/clusters/:name", async (r) => ok(clusterJSON(await cluster(r.params.name!))));
  on("PATCH", "/clusters/:name", async (r) => {
    const b = await body(r, patchClusterSchema);
    const name = r.params.name!;
    // The service replaces a cluster's limits; the API changes those named (null: back to the default).
    const limits = b.limits === undefined ? undefined : mergeLimits((await cluster(name)).limits, b.limits);
    const updated = await service.updateCluster(name, {
      ...(b.labels !== undefined && { labels: b.labels }),
      ...(limits !== undefined && { limits }),
      ...(b.metrics_enabled !== undefined && { metricsEnabled: b.metrics_enabled }),
      ...(b.logs_enabled !== undefined && { logsEnabled: b.logs_enabled }),
    });
    return ok(clusterJSON(updated));
  });
  on("DELETE", "/clusters/:name", async (r) => ok(clusterJSON(await service.removeCluster(r.params.name!))));
  on("PUT", "/clusters/:name/flows", async (r) => {
    const b = await body(r, flowsSchema);
    if (b.metrics === undefined && b.logs === undefined)
      throw new HttpError("bad_data", 'invalid request body: give "metrics", "logs" or both (true or false)');
    const flows = {
      ...(b.metrics !== undefined && { metrics: b.metrics }),
      ...(b.logs !== undefined && { logs: b.logs }),
    };
    return ok(clusterJSON(await service.setFlows(r.params.name!, flows)));
  });

  on("GET", "/clusters/:name/certificates", async (r) => {
    const records = await service.listCertificates(r.params.name!);
    return ok({ certificates: records.map(certificateJSON) });
  });
  on("POST", "/clusters/:name/certificates", async (r) => {
    await body(r, emptyBodySchema);
    return ok(bundleJSON(await service.issueBundleCertificate(r.params.name!), gatewayUrl()), 201);
  });
  on("POST", "/clusters/:name/certificates/rotate", async (r) => {
    const b = await body(r, rotateSchema);
    const name = r.params.name!;
    const c = await service.rotateCertificates(name, b.revoke_after);
    const certificates = (await service.listCertificates(name)).map(certificateJSON);
    return ok({ cluster: clusterJSON(c), certificates });
  });
  on("POST", "/clusters/:name/certificates/revoke", async (r) => {
    const b = await body(r, revokeSchema);
    const revoked = await service.revokeCertificates(r.params.name!, b.serial, b.reason);
    return ok({ certificates: revoked.map(certificateJSON) });
  });

  on("GET", "/clusters/:name/agent-config", async (r) =>
    ok(agentConfigJSON(await service.getAgentConfig(r.params.name!))),
  );
  on("PUT", "/clusters/:name/agent-config", async (r) => {
    const b = await body(r, agentConfigSchema);
    const config = await service.setAgentConfig(r.params.name!, {
      ...(b.scrape_interval !== undefined && { scrape_interval: b.scrape_interval }),
      ...(b.scrape_timeout !== undefined && { scrape_timeout: b.scrape_timeout }),
      ...(b.external_labels !== undefined && { external_labels: b.external_labels }),
      scrape_configs: b.scrape_configs,
    });
    return ok(agentConfigJSON(config));
  });

  on("GET", "/clusters/:name/status", async (r) => {
    const c = await cluster(r.params.name!);
    return ok(statusJSON(await service.getStatus(c.name), c));
  });
  on("GET", "/status", async () => {
    const all: StatusJSON[] = [];
    for (const c of await service.listClusters()) all.push(statusJSON(await service.getStatus(c.name), c));
    return ok({ clusters: all });
  });

  router.on("GET", `${REGISTRY_API_PREFIX}/ca`, (r) => {
    requireLocalAdmin(r.raw);
    sendText(r.res, 200, opts.caPem(), { "content-type": "application/x-pem-file" });
  });
}

/** `current` with the fields of `patch` set, or removed where `patch` says `null`. */
function mergeLimits(
  current: Partial<ClusterLimits>,
  patch: z.output<typeof limitsPatchSchema>,
): Partial<ClusterLimits> {
  const out: Record<string, number> = { ...definedLimits(current) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The limits given, without the keys zod left `undefined` (the model's patch is exact). */
function definedLimits(
  limits: z.output<typeof limitsSchema> | Partial<ClusterLimits>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Reads and validates a JSON body: `Content-Type: application/json` (a browser cannot send it
 * cross-site without asking first), at most `maxBytes`, then `schema`. An empty body reads as `{}`.
 */
async function readJSON<S extends z.ZodType>(
  r: RouteRequest,
  schema: S,
  maxBytes: number,
  setting: string,
): Promise<z.output<S>> {
  const type = (r.raw.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json")
    throw new HttpError(
      "unsupported_media_type",
      `send the request body as JSON with Content-Type: application/json${type === "" ? "" : ` (got ${JSON.stringify(type)})`}`,
    );
  const raw = await readBody(r.raw, maxBytes, setting);
  let value: unknown = {};
  if (raw.length > 0) {
    try {
      value = JSON.parse(raw.toString("utf8"));
    } catch (err) {
      throw new HttpError("bad_data", `request body is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new HttpError("bad_data", `invalid request body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
