import type { Registry } from "prom-client";
import type { Logger } from "../lib/log/logger.js";
import type { ServerConfig } from "./config.js";
import type { Router } from "./http/router.js";

/** The roles a seed process can run (`mirador server --target=…`). */
export const SEED_ROLES = ["registry", "metrics", "logs", "gateway", "web"] as const;

/** One of {@link SEED_ROLES}. */
export type RoleName = (typeof SEED_ROLES)[number];

/**
 * A role: a small service object started in dependency order and stopped in reverse. `start`
 * resolves once the role serves; `stop` flushes what it holds and releases its ports and files.
 */
export interface Role {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the role can take traffic now (backs `/-/ready`). */
  ready(): boolean;
}

/** What every seed role gets: its configuration, a logger, the self-metrics registry and the seed's HTTP router. */
export interface RoleEnv {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The router of the seed's HTTP port; roles add their routes in `start()`. */
  readonly router: Router;
}
