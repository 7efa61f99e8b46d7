import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Demo } from "../demo/index.js";
import { nopLogger } from "../lib/log/logger.js";
import { deepMerge, loadConfig, type ServerConfig, serverConfigSchema } from "../server/config.js";
import { Seed } from "../server/seed.js";

/** A seed configuration on ephemeral ports in a fresh temp dir, with `overrides` merged in. */
export function testConfig(overrides: Record<string, unknown> = {}): ServerConfig {
  const dataDir = mkdtempSync(join(tmpdir(), "mirador-test-"));
  const base = { data_dir: dataDir, server: { http_port: 0, shutdown_grace: "1s" }, gateway: { port: 0 } };
  return loadConfig(serverConfigSchema, { flags: deepMerge(base, overrides) });
}

/** Starts a seed for a test; call the returned `stop` in afterAll. */
export async function startTestSeed(
  overrides: Record<string, unknown> = {},
  target = "all",
): Promise<{ seed: Seed; url: string; stop: () => Promise<void> }> {
  const config = testConfig(overrides);
  const seed = new Seed(config, nopLogger, { target });
  await seed.start();
  return {
    seed,
    url: `http://127.0.0.1:${seed.httpPort}`,
    stop: async () => {
      await seed.stop();
      rmSync(config.data_dir, { recursive: true, force: true });
    },
  };
}

/** Starts the demo for a test with a short scrape interval. */
export async function startTestDemo(
  overrides: Record<string, unknown> = {},
): Promise<{ demo: Demo; url: string; stop: () => Promise<void> }> {
  const config = testConfig(deepMerge({ demo: { clusters: 2, scrape_interval: "1s" } }, overrides));
  const demo = new Demo(config, nopLogger);
  await demo.start();
  return {
    demo,
    url: `http://127.0.0.1:${demo.seed.httpPort}`,
    stop: async () => {
      await demo.stop();
      rmSync(config.data_dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what: string | (() => string) = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const about = typeof what === "function" ? what() : what;
      throw new Error(`timed out waiting for ${about}${last ? `: ${(last as Error).message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
