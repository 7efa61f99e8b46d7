/**
 * The agent's side of the control channel (docs/api/agent-protocol.md): one configuration request
 * always outstanding (a long-poll), heartbeats, and renewal of the client certificate.
 */
import type { Logger } from "../../lib/log/logger.js";
import { LogLimiter, sleep } from "../remote-write/index.js";
import { writeConfigCache } from "./config-cache.js";
import type { ControlClient } from "./control-client.js";
import type { ControlMetrics } from "./control-metrics.js";
import type { ErrorLog } from "./error-log.js";
import { describeIdentity, type Identity, renewalReason, saveIdentity } from "./identity.js";
import type { Flows, RemoteConfig } from "./protocol.js";

/** What the channel asks of the agent. */
export interface ControlHost {
  /** Obeys the flows of a version received, applied or not: they do not depend on the local file. */
  setFlows(flows: Flows): void;
  /** Runs a version's configuration; rejects with an Error saying why it is refused (nothing changed then). */
  applyConfig(config: RemoteConfig): Promise<void>;
  /** What the heartbeat reports as buffered. */
  buffered(): { samples: number; bytes: number };
  /** The certificate was renewed: new connections must use `identity`. */
  identityChanged(identity: Identity): void;
}

/** Options of {@link ControlChannel}. */
export interface ControlChannelOptions {
  readonly client: ControlClient;
  readonly cluster: string;
  /** Where the configuration cache and the renewed certificate are kept. */
  readonly dataDir: string;
  /** How long one configuration request may be held by the gateway, ms (`control.poll_wait`). */
  readonly pollWaitMs: number;
  readonly heartbeatIntervalMs: number;
  /** Renew when less than this fraction of the certificate's lifetime is left. */
  readonly renewFraction: number;
  /** The identity in use (none over plain http: nothing to renew). */
  readonly identity: Identity | undefined;
  /** The version the agent runs already (from its cache), if any. */
  readonly appliedVersion: number | undefined;
  readonly host: ControlHost;
  readonly errors: ErrorLog;
  readonly metrics: ControlMetrics;
  readonly logger: Logger;
  /** Reported in heartbeats. */
  readonly agentVersion: string;
  /** Wait after a failed request, ms: doubles from `min` to `max`, with jitter. Default 1 s to 30 s. */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  readonly random?: () => number;
}

/** Repeated failures of one kind are logged at most this often. */
const LOG_INTERVAL_MS = 60_000;

/**
 * Keeps one `GET /agent/v1/config` outstanding with the last version seen, hands every new version to
 * the host (flows always; the configuration unless refused), caches what was applied, sends a
 * heartbeat every `heartbeatIntervalMs` and after each version, and renews the certificate when it
 * nears its end or the configuration asks for a newer generation. Failures are retried with backoff;
 * nothing here ends because the seed is unreachable. Lifecycle: `start` once, `stop` once.
 */
export class ControlChannel {
  readonly #o: ControlChannelOptions;
  readonly #log: LogLimiter;
  readonly #stop = new AbortController();
  readonly #random: () => number;
  #applied: number | undefined;
  /** The last version received (applied or refused): what the long-poll waits to change. */
  #seen: number | undefined;
  #wantedGeneration = 0;
  #identity: Identity | undefined;
  #pollAc: AbortController | undefined;
  /** The next configuration request asks for the current version at once (after a 423). */
  #unconditional = false;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: Promise<void> | undefined;
  #heartbeatAgain = false;
  #renewing: Promise<void> | undefined;

  constructor(opts: ControlChannelOptions) {
    this.#o = opts;
    this.#log = new LogLimiter(opts.logger, LOG_INTERVAL_MS, Date.now);
    this.#random = opts.random ?? Math.random;
    this.#applied = opts.appliedVersion;
    this.#seen = opts.appliedVersion;
    this.#identity = opts.identity;
    opts.metrics.versionApplied.set(opts.appliedVersion ?? 0);
    if (opts.identity !== undefined) opts.metrics.certificateExpiry.set(opts.identity.notAfter / 1000);
  }

  /** The version whose configuration runs, if any. */
  get appliedVersion(): number | undefined {
    return this.#applied;
  }

  /** The identity in use. */
  get identity(): Identity | undefined {
    return this.#identity;
  }

  /** Starts the long-poll, the heartbeat timer and a first heartbeat. */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#loop = this.#poll();
    this.#timer = setInterval(() => {
      this.#heartbeatNow();
      this.#maybeRenew();
    }, this.#o.heartbeatIntervalMs);
    this.#timer.unref();
    this.#heartbeatNow();
    this.#maybeRenew();
  }

  /**
   * Asks for the current configuration at once, cutting a long-poll or a backoff short (the gateway
   * answered 423: a flow was switched off, and the configuration says until when).
   */
  pollNow(): void {
    this.#unconditional = true;
    this.#pollAc?.abort();
  }

  /** Stops every request and timer; resolves when none is left. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#timer);
    await this.#loop;
    await this.#heartbeat;
    await this.#renewing;
    this.#o.client.close();
  }

  async #poll(): Promise<void> {
    const stop = this.#stop.signal;
    const min = this.#o.backoffMs?.min ?? 1_000;
    const max = this.#o.backoffMs?.max ?? 30_000;
    let bound = min;
    while (!stop.aborted) {
      const ac = new AbortController();
      this.#pollAc = ac;
      const signal = AbortSignal.any([stop, ac.signal]);
      const known = this.#unconditional ? undefined : this.#seen;
      this.#unconditional = false;
      const started = Date.now();
      let wait = 0;
      try {
        const answer = await this.#o.client.fetchConfig(known, this.#o.pollWaitMs, signal);
        bound = min;
        this.#o.errors.clear("control");
        if (answer.kind === "changed") await this.#receive(answer.config, answer.raw);
        // A gateway that does not hold the request (or answers the version asked about) must not
        // make this loop spin.
        const same = answer.kind === "unchanged" || answer.config.version === known;
        if (known !== undefined && same && Date.now() - started < this.#o.pollWaitMs / 2) wait = min;
      } catch (err) {
        if (stop.aborted) break;
        if (ac.signal.aborted) continue;
        wait = bound * (0.5 + 0.5 * this.#random());
        bound = Math.min(max, bound * 2);
        const message = (err as Error).message;
        this.#o.errors.add("control", message);
        this.#log.log("warn", "config_fetch", "cannot get the configuration from the seed; will retry", {
          url: this.#o.client.url,
          err: message,
          retryInMs: Math.round(wait),
        });
      }
      if (wait > 0) await sleep(wait, signal);
    }
  }

  /** Handles a version the gateway sent. Never throws. */
  async #receive(config: RemoteConfig, raw: unknown): Promise<void> {
    const o = this.#o;
    if (config.cluster !== o.cluster) {
      const msg = `the gateway sent the configuration of cluster ${JSON.stringify(config.cluster)}, not ${JSON.stringify(o.cluster)}; ignored`;
      o.errors.add("config", msg);
      o.metrics.configErrors.inc();
      this.#log.log("error", "config_cluster", msg, {});
      this.#seen = config.version;
      return;
    }
    const fresh = config.version !== this.#seen;
    this.#seen = config.version;
    o.host.setFlows(config.flows);
    this.#wantedGeneration = config.certificateGeneration;
    if (fresh && config.version !== this.#applied) {
      try {
        await o.host.applyConfig(config);
        this.#applied = config.version;
        o.metrics.versionApplied.set(config.version);
        o.errors.clear("config");
        o.logger.info("configuration from the seed applied", { version: config.version });
        try {
          await writeConfigCache(o.dataDir, raw);
        } catch (err) {
          o.errors.add(
            "cache",
            `cannot keep configuration version ${config.version}: ${(err as Error).message}`,
          );
          o.logger.warn("cannot write the configuration cache", { err });
        }
      } catch (err) {
        const msg = `version ${config.version} refused: ${(err as Error).message}; running ${this.#applied === undefined ? "the local configuration alone" : `version ${this.#applied}`}`;
        o.errors.add("config", msg);
        o.metrics.configErrors.inc();
        o.logger.error("configuration from the seed refused", { version: config.version, err });
      }
      this.#heartbeatNow();
    }
    this.#maybeRenew();
  }

  /** Sends a heartbeat now, or right after the one in flight. */
  #heartbeatNow(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#heartbeat !== undefined) {
      this.#heartbeatAgain = true;
      return;
    }
    this.#heartbeat = this.#sendHeartbeat().finally(() => {
      this.#heartbeat = undefined;
      if (this.#heartbeatAgain) {
        this.#heartbeatAgain = false;
        this.#heartbeatNow();
      }
    });
  }

  async #sendHeartbeat(): Promise<void> {
    const o = this.#o;
    const buffered = o.host.buffered();
    const serial = this.#identity?.serial;
    try {
      await o.client.heartbeat(
        {
          applied_config_version: this.#applied ?? 0,
          agent_version: o.agentVersion,
          buffered_samples: buffered.samples,
          buffered_bytes: buffered.bytes,
          errors: o.errors.list(),
          ...(serial !== undefined && { certificate_serial: serial }),
        },
        this.#stop.signal,
      );
    } catch (err) {
      if (!this.#stop.signal.aborted)
        this.#log.log("warn", "heartbeat", "heartbeat to the seed failed", { err: (err as Error).message });
    }
  }

  #maybeRenew(): void {
    const id = this.#identity;
    if (id === undefined || this.#renewing !== undefined || this.#stop.signal.aborted) return;
    const reason = renewalReason(id, this.#o.renewFraction, this.#wantedGeneration, Date.now());
    if (reason === undefined) return;
    this.#renewing = this.#renew(id, reason).finally(() => {
      this.#renewing = undefined;
    });
  }

  /**
   * Renews: a new key and request, sent over the current connection; the answer is checked (it
   * belongs to the key, chains to the CA, names the cluster), kept on disk, then used for new
   * connections of the control client and, through the host, of remote-write.
   */
  async #renew(id: Identity, reason: string): Promise<void> {
    const o = this.#o;
    const wanted = this.#wantedGeneration;
    o.logger.info("renewing the client certificate", {
      reason,
      serial: id.serial,
      generation: id.generation,
      wantedGeneration: wanted,
    });
    let next: Identity;
    try {
      const { newKeyAndRequest } = await import("./certificate-request.js");
      const { keyPem, csrPem } = await newKeyAndRequest(o.cluster);
      const answer = await o.client.renewCertificate(csrPem, this.#stop.signal);
      const generation = Math.max(answer.generation ?? 0, wanted, id.generation);
      next = describeIdentity(
        { cert: answer.certificate, key: keyPem, ca: id.ca },
        generation,
        "renewed",
        o.cluster,
      );
      if (next.notAfter <= Date.now())
        throw new Error(`the new certificate expired at ${new Date(next.notAfter).toISOString()}`);
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      o.metrics.renewals.inc({ result: "failure" });
      o.errors.add("certificate", `renewal failed: ${(err as Error).message}`);
      o.logger.warn("certificate renewal failed; will retry", { err });
      return;
    }
    try {
      await saveIdentity(o.dataDir, next);
      o.errors.clear("certificate");
    } catch (err) {
      // The new certificate is used all the same: the old one may be revoked soon.
      o.errors.add("certificate", `cannot keep the renewed certificate on disk: ${(err as Error).message}`);
      o.logger.error("cannot write the renewed certificate; a restart will use the configured one", { err });
    }
    this.#identity = next;
    o.client.setTls(next);
    o.host.identityChanged(next);
    o.metrics.renewals.inc({ result: "success" });
    o.metrics.certificateExpiry.set(next.notAfter / 1000);
    o.logger.info("client certificate renewed", {
      serial: next.serial,
      generation: next.generation,
      notAfter: new Date(next.notAfter).toISOString(),
    });
    this.#heartbeatNow();
  }
}
