import type { SecureContextOptions, Server as TlsServer } from "node:tls";
import type { Logger } from "../lib/log/logger.js";
import type { GatewayCa, GatewayRegistryService } from "./gateway-registry.js";
import type { ServingCertificate, ServingIdentity } from "./serving-cert.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Validity of each CRL the gateway installs; OpenSSL refuses every client once it has passed. */
export const CRL_VALIDITY_MS = 7 * DAY_MS;
/** How often the CRL is rebuilt even without a revocation, well before it expires. */
export const CRL_REBUILD_INTERVAL_MS = DAY_MS;
/** How often the serving certificate is checked for renewal. */
export const SERVING_CHECK_INTERVAL_MS = HOUR_MS;

/** What {@link GatewayTls} needs. */
export interface GatewayTlsOptions {
  readonly ca: GatewayCa;
  readonly service: Pick<GatewayRegistryService, "revokedSerials">;
  readonly serving: ServingCertificate;
  readonly logger: Logger;
  /** The clock in Unix ms (injectable for tests). */
  readonly now: () => number;
}

/**
 * The gateway's TLS material: the serving certificate, the CA that client certificates must chain
 * to, and a CRL of the revoked client certificates, with TLS 1.3 only. The context is swapped live
 * with `setSecureContext` whenever the CRL is rebuilt (after a revocation, and daily) or the
 * serving certificate renewed (checked hourly): new handshakes use it at once, open connections
 * keep theirs. A new context also has new session-ticket keys, so no client resumes a session
 * made before the swap and skips the revocation check.
 *
 * Lifecycle: {@link prepare}, create the server with {@link contextOptions}, {@link attach} it
 * (starts the timers), {@link close} at stop.
 */
export class GatewayTls {
  #identity: ServingIdentity | undefined;
  #crl: string | undefined;
  #revoked: ReadonlySet<string> = new Set();
  #server: TlsServer | undefined;
  #timers: NodeJS.Timeout[] = [];
  /** The CRL rebuild under way, and one queued behind it (to coalesce bursts of revocations). */
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(private readonly opts: GatewayTlsOptions) {}

  /** Loads (or issues) the serving certificate and builds the first CRL. */
  async prepare(): Promise<void> {
    this.#identity = await this.opts.serving.load(this.opts.now());
    await this.#buildCrl();
  }

  /** The secure-context options of the current material (for the server's creation). */
  contextOptions(): SecureContextOptions {
    if (this.#identity === undefined || this.#crl === undefined)
      throw new Error("GatewayTls: prepare() must resolve before the context is used");
    return {
      cert: this.#identity.certPem,
      key: this.#identity.keyPem,
      ca: this.opts.ca.certPem,
      crl: this.#crl,
      minVersion: "TLSv1.3",
    };
  }

  /** From now on, swaps `server`'s context on every change; starts the rebuild and renewal timers. */
  attach(server: TlsServer): void {
    this.#server = server;
    const log = this.opts.logger;
    this.#timers.push(
      setInterval(() => {
        this.reloadRevocations().catch((err) => log.error("gateway CRL rebuild failed", { err }));
      }, CRL_REBUILD_INTERVAL_MS).unref(),
      setInterval(() => {
        this.renewServingIfDue().catch((err) =>
          log.error("gateway serving certificate renewal failed", { err }),
        );
      }, SERVING_CHECK_INTERVAL_MS).unref(),
    );
  }

  /** Stops the timers. */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#server = undefined;
  }

  /**
   * Rebuilds the CRL from the registry's revoked serials and installs it. Calls while a rebuild
   * runs share one rebuild queued behind it, so the CRL installed last saw every revocation made
   * before the call. Rejects (keeping the previous CRL) when the registry or the CA fails.
   */
  reloadRevocations(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const run = this.#running.then(() => {
      this.#queued = undefined;
      return this.#buildCrl();
    });
    this.#queued = run;
    this.#running = run.catch(() => {});
    return run;
  }

  /**
   * Renews the serving certificate when it is due (a third of its lifetime left, another CA, hosts
   * not covered) and installs it; resolves true when it did. Called hourly.
   */
  async renewServingIfDue(): Promise<boolean> {
    const current = this.#identity;
    if (current === undefined || !this.opts.serving.due(current, this.opts.now())) return false;
    this.#identity = await this.opts.serving.issue();
    this.#apply();
    this.opts.logger.info("gateway serving certificate renewed", {
      role: "gateway",
      serial: this.#identity.serial,
      notAfter: new Date(this.#identity.notAfter).toISOString(),
    });
    return true;
  }

  /** Whether the certificate with serial `serialHex` (any case, leading zeros or not) is revoked. */
  isRevoked(serialHex: string): boolean {
    return this.#revoked.has(normalSerial(serialHex));
  }

  /** The serving certificate in use. */
  get serving(): ServingIdentity | undefined {
    return this.#identity;
  }

  async #buildCrl(): Promise<void> {
    const revoked = await this.opts.service.revokedSerials();
    this.#crl = await this.opts.ca.issueCrl(
      revoked.map((r) => ({ serial: r.serial, revokedAt: new Date(r.revokedAt), reason: r.reason })),
      { nextUpdateMs: CRL_VALIDITY_MS },
    );
    this.#revoked = new Set(revoked.map((r) => normalSerial(r.serial)));
    this.#apply();
  }

  #apply(): void {
    this.#server?.setSecureContext(this.contextOptions());
  }
}

/** A serial number in lowercase hex without leading zeros, as the revoked set keeps them. */
function normalSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, "");
}
