import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleFile } from "./install-bundle.js";

/**
 * Writes a bundle's files into `dir`, created with mode 0700 (and narrowed to it when it exists),
 * each file with its own mode (the key 0600) whatever the umask, replacing files of the same name.
 */
export function writeBundle(dir: string, files: readonly BundleFile[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const f of files) {
    const path = join(dir, f.name);
    writeFileSync(path, f.content, { mode: f.mode });
    chmodSync(path, f.mode);
  }
}
