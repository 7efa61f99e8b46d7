import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logCorpus } from "./log-corpus.js";
import { LogHead, type LogHeadStreamInput } from "./log-head.js";

/**
 * `npm run bench -- log-head [--lines N] [--batch N] [--writers N] [--sync always|never]`: appends
 * the corpus of `log-corpus.ts` (five streams) to a log head in a temporary directory, in pushes of
 * `--batch` lines (default 1000, spread over the streams as they come), `--writers` pushes in flight
 * at once (default 4), with real `fdatasync`s unless `--sync never`. Reports lines/s (wall), lines
 * and MB of raw log per CPU-second of this process, WAL syncs, then the time to open the directory
 * again (replaying the whole WAL). Figures only; nothing asserts.
 */

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs the benchmark; see the file comment. */
export async function run(args: string[]): Promise<object> {
  const lines = Number(arg(args, "--lines", "200000"));
  const batch = Number(arg(args, "--batch", "1000"));
  const writers = Number(arg(args, "--writers", "4"));
  const syncMode = arg(args, "--sync", "always") === "never" ? "never" : "always";
  const streams = logCorpus({ lines, seed: 7 });
  // Interleave the streams in time order, as a shipper would send them.
  const order: [number, number][] = [];
  streams.forEach((s, k) => {
    for (let i = 0; i < s.lines.length; i++) order.push([k, i]);
  });
  order.sort((a, b) => {
    const x = streams[a[0]]!.ts[a[1]]!;
    const y = streams[b[0]]!.ts[b[1]]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const pushes: LogHeadStreamInput[][] = [];
  let rawBytes = 0;
  for (let p = 0; p < order.length; p += batch) {
    const per = new Map<number, { tsNs: bigint; line: string }[]>();
    for (const [k, i] of order.slice(p, p + batch)) {
      const list = per.get(k) ?? [];
      per.set(k, list);
      const line = streams[k]!.lines[i]!;
      rawBytes += Buffer.byteLength(line) + 1;
      list.push({ tsNs: streams[k]!.ts[i]!, line });
    }
    pushes.push([...per].map(([k, entries]) => ({ labels: Object.entries(streams[k]!.labels), entries })));
  }

  const dir = await mkdtemp(join(tmpdir(), "mirador-log-head-bench-"));
  try {
    const head = await LogHead.open(dir, { syncMode });
    const t0 = performance.now();
    const c0 = cpuSeconds();
    let next = 0;
    let accepted = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < pushes.length) {
          const r = await head.append(pushes[next++]!);
          accepted += r.accepted;
        }
      }),
    );
    const cpu = cpuSeconds() - c0;
    const wall = (performance.now() - t0) / 1000;
    const wal = head.walStats();
    await head.close();
    const r0 = performance.now();
    const again = await LogHead.open(dir, { syncMode: "never" });
    const replayS = (performance.now() - r0) / 1000;
    const stats = again.stats();
    await again.close();
    return {
      lines,
      accepted,
      batch,
      writers,
      sync: syncMode,
      lines_per_second: Math.round(accepted / wall),
      lines_per_cpu_second: Math.round(accepted / cpu),
      mb_per_cpu_second: Math.round(rawBytes / 1e6 / cpu),
      wal_commits: wal?.commits,
      wal_syncs: wal?.syncs,
      wal_mb: Math.round((wal?.bytes ?? 0) / 1e5) / 10,
      replay_seconds: Math.round(replayS * 100) / 100,
      replayed_entries: stats.entries,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
