// @peculiar/x509 needs the Reflect metadata API installed before it loads (see ca/authority.ts).
import "reflect-metadata";

import { webcrypto } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { Logger } from "../lib/log/logger.js";
import { serverConfigSchema } from "../server/config.js";
import { CertificateAuthority } from "./ca/index.js";
import { RegistryError, type RegistryEvent } from "./model.js";
import { Registry } from "./registry-service.js";
import { openSqliteRegistryStore } from "./store/sqlite-store.js";
import type { RegistryStore } from "./store/store.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** A registry over a real SQLite store and CA in a temporary directory, with a clock the test moves. */
export interface Harness {
  readonly registry: Registry;
  readonly store: RegistryStore;
  readonly ca: CertificateAuthority;
  /** Every event emitted, in order. */
  readonly events: RegistryEvent[];
  /** Every log line written (JSON objects). */
  readonly logs: Record<string, unknown>[];
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

/** Starts a harness; `wrap` may put a spy around the store the registry uses. */
export async function startHarness(
  opts: { wrap?: (store: RegistryStore) => RegistryStore } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "mirador-registry-"));
  let clock = Date.parse("2026-11-21T12:00:00.000Z");
  const now = () => new Date(clock);
  const config = serverConfigSchema.parse({
    registry: {
      client_cert_lifetime: "2d",
      removal_grace: "24h",
      janitor_interval: "10s",
      seed_name: "seed-a",
    },
  });
  const ca = await CertificateAuthority.loadOrCreate(join(dir, "ca"), { now });
  const store = await openSqliteRegistryStore(join(dir, "registry.db"));
  const logs: Record<string, unknown>[] = [];
  const logger = new Logger({ write: (line) => logs.push(JSON.parse(line)), pretty: false }, "debug");
  const registry = await Registry.open({
    store: opts.wrap?.(store) ?? store,
    ca,
    config: config.registry,
    defaultLimits: config.gateway.default_limits,
    logger,
    now,
  });
  const events: RegistryEvent[] = [];
  registry.onChange((e) => {
    events.push(e);
  });
  return {
    registry,
    store,
    ca,
    events,
    logs,
    advance: (ms) => {
      clock += ms;
    },
    now,
    close: async () => {
      await registry.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` and returns the `RegistryError` it throws; fails if it throws anything else or nothing. */
export async function registryError(fn: () => Promise<unknown>): Promise<RegistryError> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    return err;
  }
  throw new Error("expected a RegistryError, nothing was thrown");
}

/** A PKCS#10 request for a new P-256 key, as an agent renewing its certificate sends it. */
export async function certificateRequest(subject = "CN=whoever"): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256" } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  return csr.toString("pem");
}
