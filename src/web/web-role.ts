import { fileURLToPath } from "node:url";
import type { MetricsRole } from "../metrics/index.js";
import type { RegistryRole } from "../registry/index.js";
import { requireLoopback } from "../server/http/loopback.js";
import { sendJSON, sendText } from "../server/http/reply.js";
import type { Role, RoleEnv } from "../server/role.js";
import { serveStatic } from "./static-files.js";

/** Where `npm run build` puts the UI; the same path from src/web and dist/web. */
const DEFAULT_UI_DIR = fileURLToPath(new URL("../../dist/ui", import.meta.url));

/** One row of the fleet view. */
export interface ClusterStatus {
  readonly id: string;
  readonly project: string;
  /** ISO 8601 time of the last accepted write, or null. */
  readonly lastSeen: string | null;
  readonly samplesPerSecond: number;
  readonly activeSeries: number;
}

/**
 * The `web` role: the user interface at `/` and the fleet API it reads
 * (`/api/mirador/v1/fleet`: every registered cluster with its last push, samples/s and active
 * series).
 */
export class WebRole implements Role {
  readonly name = "web";
  #running = false;

  constructor(
    private readonly env: RoleEnv,
    private readonly registry: RegistryRole,
    private readonly metrics: MetricsRole | undefined,
    private readonly uiDir: string = DEFAULT_UI_DIR,
  ) {}

  async start(): Promise<void> {
    const { router } = this.env;
    router.on("GET", "/api/mirador/v1/fleet", async (r) => {
      requireLoopback(r.raw);
      sendJSON(r.res, 200, { clusters: await this.fleet(Date.now()) });
    });
    router.on("GET", "/*", (r) => {
      if (!serveStatic(this.uiDir, r.url.pathname, r.res)) {
        sendText(r.res, 503, `The web UI is not built (looked in ${this.uiDir}). Run: npm run build\n`);
      }
    });
    this.#running = true;
  }

  /** The fleet view at `nowMs`: registered clusters joined with their ingest figures. */
  async fleet(nowMs: number): Promise<ClusterStatus[]> {
    const series = new Map((this.metrics?.storage.stats() ?? []).map((s) => [s.tenant, s.activeSeries]));
    return (await this.registry.service.listClusters()).map((c) => {
      const ingest = this.metrics?.stats.get(c.name, nowMs);
      return {
        id: c.name,
        project: c.project,
        lastSeen: ingest?.lastSeenMs === undefined ? null : new Date(ingest.lastSeenMs).toISOString(),
        samplesPerSecond: Math.round((ingest?.samplesPerSecond ?? 0) * 100) / 100,
        activeSeries: series.get(c.name) ?? 0,
      };
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
  }

  ready(): boolean {
    return this.#running;
  }
}
