import { join } from "node:path";
import type { Role, RoleEnv } from "../server/role.js";
import { CertificateAuthority, type IssuedCertificate } from "./ca/index.js";
import { type Cluster, ClusterStore } from "./cluster-store.js";

/**
 * The `registry` role: the seed's clusters and its certificate authority, under
 * `<data_dir>/registry/`. Other roles in the process use {@link clusters} and {@link ca}.
 */
export class RegistryRole implements Role {
  readonly name = "registry";
  #clusters: ClusterStore | undefined;
  #ca: CertificateAuthority | undefined;

  constructor(private readonly env: RoleEnv) {}

  /** The cluster store; available once started. */
  get clusters(): ClusterStore {
    if (!this.#clusters) throw new Error("registry role is not started");
    return this.#clusters;
  }

  /** The certificate authority; available once started. */
  get ca(): CertificateAuthority {
    if (!this.#ca) throw new Error("registry role is not started");
    return this.#ca;
  }

  async start(): Promise<void> {
    const dir = join(this.env.config.data_dir, "registry");
    this.#ca = await CertificateAuthority.loadOrCreate(join(dir, "ca"));
    this.#clusters = ClusterStore.open(join(dir, "clusters.json"));
  }

  /** Registers `id` (if new) and issues it a client certificate with the configured lifetime. */
  async registerCluster(
    id: string,
    project: string,
  ): Promise<{ cluster: Cluster; certificate: IssuedCertificate }> {
    const cluster = this.clusters.ensure(id, project);
    const certificate = await this.ca.issueClientCertificate(id, {
      lifetimeMs: this.env.config.registry.client_cert_lifetime,
    });
    this.env.logger.info("issued cluster certificate", {
      role: "registry",
      cluster: id,
      serial: certificate.serialNumber,
    });
    return { cluster, certificate };
  }

  async stop(): Promise<void> {}

  ready(): boolean {
    return this.#clusters !== undefined;
  }
}
