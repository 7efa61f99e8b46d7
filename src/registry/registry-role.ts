import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Role, RoleEnv } from "../server/role.js";
import { registerRegistryApi } from "./api/index.js";
import { CertificateAuthority } from "./ca/index.js";
import { importLegacyClusters, LEGACY_CLUSTER_FILE } from "./legacy-import.js";
import { Registry } from "./registry-service.js";
import { openSqliteRegistryStore } from "./store/sqlite-store.js";
import type { RegistryStore } from "./store/store.js";

/** The registry database under `<data_dir>/registry/`. */
export const REGISTRY_DB_FILE = "registry.db";

/**
 * The `registry` role: the seed's projects, clusters and agent configurations in SQLite
 * (`<data_dir>/registry/registry.db`) and its certificate authority (`<data_dir>/registry/ca/`, or
 * the admin's files named by `registry.ca_cert_file` and `registry.ca_key_file`). Other roles in the
 * process use {@link service} and {@link ca} once it has started.
 */
export class RegistryRole implements Role {
  readonly name = "registry";
  #ca: CertificateAuthority | undefined;
  #store: RegistryStore | undefined;
  #service: Registry | undefined;
  readonly #deleters: [string, (tenant: string) => Promise<void>][] = [];

  constructor(
    private readonly env: RoleEnv,
    /** The gateway's URL as agents reach it, written into install bundles. */
    private readonly gatewayUrl: () => string = () =>
      `https://${env.config.gateway.hosts[0] ?? "localhost"}:${env.config.gateway.port}`,
  ) {}

  /**
   * Has `deleter` called with a removed cluster's name when its grace period ends (the metrics role
   * deletes the tenant's TSDB). May be called before the role starts.
   */
  addTenantDeleter(name: string, deleter: (tenant: string) => Promise<void>): void {
    this.#deleters.push([name, deleter]);
    this.#service?.addTenantDeleter(name, deleter);
  }

  /** The registry service; available once started. */
  get service(): Registry {
    if (!this.#service) throw new Error("registry role is not started");
    return this.#service;
  }

  /** The certificate authority; available once started. */
  get ca(): CertificateAuthority {
    if (!this.#ca) throw new Error("registry role is not started");
    return this.#ca;
  }

  /**
   * Opens the CA, the database (importing an earlier version's `clusters.json` once) and the
   * service, and starts the janitor.
   */
  async start(): Promise<void> {
    const { config, logger } = this.env;
    const cfg = config.registry;
    const dir = join(config.data_dir, "registry");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    this.#ca =
      cfg.ca_cert_file !== undefined && cfg.ca_key_file !== undefined
        ? await CertificateAuthority.loadFromFiles(cfg.ca_cert_file, cfg.ca_key_file)
        : await CertificateAuthority.loadOrCreate(join(dir, "ca"));
    const store = await openSqliteRegistryStore(join(dir, REGISTRY_DB_FILE));
    try {
      const imported = await importLegacyClusters(store, join(dir, LEGACY_CLUSTER_FILE), {
        seed: cfg.seed_name,
      });
      if (imported.clusters > 0) {
        logger.info("imported clusters of an earlier version", { role: "registry", ...imported });
      }
      this.#service = await Registry.open({
        store,
        ca: this.#ca,
        config: cfg,
        defaultLimits: config.gateway.default_limits,
        logger,
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    this.#store = store;
    for (const [name, deleter] of this.#deleters) this.#service.addTenantDeleter(name, deleter);
    registerRegistryApi(this.env.router, this.#service, {
      caPem: () => this.ca.certPem,
      maxBodyBytes: config.server.max_query_body_bytes,
      gatewayUrl: this.gatewayUrl,
    });
    this.#service.startJanitor();
  }

  async stop(): Promise<void> {
    await this.#service?.close();
    await this.#store?.close();
    this.#service = undefined;
    this.#store = undefined;
  }

  ready(): boolean {
    return this.#service !== undefined;
  }
}
