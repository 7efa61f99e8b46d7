import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeSamples, RecordBuffer, SampleBatch } from "./records.js";
import { replay } from "./replay.js";
import { WAL } from "./wal.js";

/**
 * `npm run bench -- wal [dir]`: the WAL's group commit on a real disk (a temporary directory under
 * `dir`, default the OS temp dir, so pass a directory on the disk you care about).
 *
 * For 1, 8, 64 and 512 concurrent writers, each logging one SAMPLES record of 100 samples (about
 * 1 KiB, a small remote-write) and logging again as soon as it resolves, for about a second with
 * real `fdatasync`: `commits_per_s`, `syncs_per_s`, and `commits_per_sync` (how many commits one
 * fdatasync served). Then the fdatasync-free ceiling (`syncMode: "never"`) and replay throughput.
 * Figures vary with the disk and the load; no test asserts them.
 */
export async function run(args: string[] = []): Promise<Record<string, number>> {
  const base = await mkdtemp(join(args[0] ?? tmpdir(), "mirador-wal-bench-"));
  const out: Record<string, number> = {};
  const batch = new SampleBatch();
  for (let i = 0; i < 100; i++) batch.push(1000 + i, 1_700_000_000_000, i * 1.5);
  const record = encodeSamples(batch, new RecordBuffer()).slice();
  try {
    let n = 0;
    for (const [writers, mode] of [
      [1, "always"],
      [8, "always"],
      [64, "always"],
      [512, "always"],
      [64, "never"],
    ] as const) {
      const dir = join(base, String(n++));
      const wal = await WAL.open(dir, { syncMode: mode });
      const deadline = performance.now() + 1000;
      const writer = async (): Promise<void> => {
        while (performance.now() < deadline) await wal.log([record]);
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: writers }, writer));
      const secs = (performance.now() - t0) / 1000;
      const s = wal.stats;
      await wal.close();
      const key = `${mode === "always" ? "fdatasync" : "nosync"}.${writers}_writers`;
      out[`${key}.commits_per_s`] = Math.round(s.commits / secs);
      if (mode === "always") {
        out[`${key}.syncs_per_s`] = Math.round(s.syncs / secs);
        out[`${key}.commits_per_sync`] = Math.round((s.commits / s.syncs) * 10) / 10;
      }
      out[`${key}.mib_per_s`] = Math.round((s.bytes / secs / 2 ** 20) * 10) / 10;
      process.stderr.write(`${key}: ${JSON.stringify(s)} in ${secs.toFixed(2)} s\n`);

      if (mode === "never") {
        const t1 = performance.now();
        const r = await replay(dir, () => {});
        const replaySecs = (performance.now() - t1) / 1000;
        out["replay.records_per_s"] = Math.round(r.records / replaySecs);
        out["replay.mib_per_s"] = Math.round((r.bytes / replaySecs / 2 ** 20) * 10) / 10;
      }
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  return out;
}
