import {
  GatewayRole,
  HttpForwarder,
  HttpLogForwarder,
  LocalForwarder,
  LocalLogForwarder,
} from "../gateway/index.js";
import { LogsRole } from "../logs/index.js";
import { MetricsRole } from "../metrics/index.js";
import { RegistryRole } from "../registry/index.js";
import { WebRole } from "../web/index.js";
import { ConfigError } from "./config.js";
import { type Role, type RoleEnv, type RoleName, SEED_ROLES } from "./role.js";

/**
 * The module table: each role with the roles it cannot run without. Roles start in the order of
 * {@link SEED_ROLES}, which is a dependency order, and stop in reverse.
 */
const DEPENDENCIES: Record<RoleName, readonly RoleName[]> = {
  registry: [],
  metrics: [],
  logs: [],
  gateway: ["registry"],
  web: ["registry"],
};

/** The seed roles a process runs, created and wired together. */
export interface SeedRoles {
  readonly ordered: Role[];
  readonly registry?: RegistryRole;
  readonly metrics?: MetricsRole;
  readonly logs?: LogsRole;
  readonly gateway?: GatewayRole;
  readonly web?: WebRole;
}

/**
 * Resolves `--target` (`all`, or role names joined by commas) to the roles to run, adding their
 * dependencies. Throws a ConfigError naming an unknown role.
 */
export function resolveTargets(target: string): RoleName[] {
  const wanted = new Set<RoleName>();
  const add = (name: RoleName) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const dep of DEPENDENCIES[name]) add(dep);
  };
  for (const part of target.split(",").map((s) => s.trim())) {
    if (part === "all") SEED_ROLES.forEach(add);
    else if ((SEED_ROLES as readonly string[]).includes(part)) add(part as RoleName);
    else
      throw new ConfigError(
        `--target: unknown role ${JSON.stringify(part)}; expected "all" or some of ${SEED_ROLES.join(", ")}`,
      );
  }
  return SEED_ROLES.filter((r) => wanted.has(r));
}

/** Creates the roles named in `targets` and wires each to the others it uses in this process. */
export function createRoles(
  env: RoleEnv,
  targets: readonly RoleName[],
  opts: { uiDir?: string } = {},
): SeedRoles {
  const has = (r: RoleName) => targets.includes(r);
  let gateway: GatewayRole | undefined;
  const gatewayHost = env.config.gateway.hosts[0] ?? "localhost";
  const registry = has("registry")
    ? new RegistryRole(env, () => `https://${gatewayHost}:${gateway?.port || env.config.gateway.port}`)
    : undefined;
  const metrics = has("metrics") ? new MetricsRole(env) : undefined;
  const logs = has("logs") ? new LogsRole(env) : undefined;
  if (registry && logs) registry.addTenantDeleter("logs", (tenant) => logs.deleteTenant(tenant));
  // A removed cluster's data goes once its grace period ends.
  if (registry && metrics) registry.addTenantDeleter("metrics", (tenant) => metrics.deleteTenant(tenant));
  if (has("gateway")) {
    const url = env.config.gateway.forward_url;
    // Writes go to the metrics role in this process when there is one, else over HTTP.
    const forwarder = metrics
      ? new LocalForwarder(metrics)
      : url
        ? new HttpForwarder(url, { maxDecompressedBytes: env.config.metrics.max_write_decompressed_bytes })
        : undefined;
    if (!forwarder) {
      throw new ConfigError(
        "gateway.forward_url: required when the gateway runs without the metrics role (set it to the metrics role's /api/v1/push URL)",
      );
    }
    // Logs pushes likewise go to the logs role in this process, else over HTTP; with neither, the
    // gateway answers them 503 naming gateway.logs_forward_url.
    const logsUrl = env.config.gateway.logs_forward_url;
    const logForwarder = logs
      ? new LocalLogForwarder(logs)
      : logsUrl
        ? new HttpLogForwarder(logsUrl, { maxDecompressedBytes: env.config.logs.max_push_decompressed_bytes })
        : undefined;
    gateway = new GatewayRole(env, registry!, forwarder, { ...(logForwarder && { logForwarder }) });
  }
  const web = has("web") ? new WebRole(env, registry!, metrics, opts.uiDir) : undefined;
  const ordered = [registry, metrics, logs, gateway, web].filter(
    (r): r is NonNullable<typeof r> => r !== undefined,
  );
  return {
    ordered,
    ...(registry && { registry }),
    ...(metrics && { metrics }),
    ...(logs && { logs }),
    ...(gateway && { gateway }),
    ...(web && { web }),
  };
}
