/**
 * The last configuration version the agent applied, kept in `<data_dir>/remote-config.json` exactly
 * as the gateway sent it, so that a restarted agent runs it before (or without) reaching the seed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/fs/atomic-file.js";
import { parseRemoteConfig, type RemoteConfig } from "./protocol.js";

/** The cache file's name under the data directory. */
export const CONFIG_CACHE_FILE = "remote-config.json";

/** The cached version, or undefined when there is none; throws when the file cannot be read as one. */
export async function readConfigCache(dataDir: string): Promise<RemoteConfig | undefined> {
  const path = join(dataDir, CONFIG_CACHE_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseRemoteConfig(JSON.parse(text));
  } catch (err) {
    throw new Error(`${path} is not a configuration the agent wrote: ${(err as Error).message}`);
  }
}

/** Replaces the cache with `raw` (the body of a config answer) atomically. */
export async function writeConfigCache(dataDir: string, raw: unknown): Promise<void> {
  await writeFileAtomic(join(dataDir, CONFIG_CACHE_FILE), `${JSON.stringify(raw)}\n`, 0o600);
}
