import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Registry } from "prom-client";
import { nopLogger } from "../../../lib/log/logger.js";
import { LogShipper } from "./log-shipper.js";
import type { LogStream } from "./log-streams.js";

/**
 * `npm run bench -- log-ship [MiB] [dir] [lanes]`: the log shipper alone, from `append` to a local HTTP
 * endpoint that reads each body and answers 204 without decoding it (so the process's CPU is
 * nearly all the shipper's). 50 streams, 150-byte container-like lines appended in bursts of 1000
 * lines per turn of the event loop, default sync mode, default batch size (1 MiB) and wait (1 s).
 * Reports line MiB/s and lines/s from the first append to the last acknowledgement, and MiB of lines
 * per CPU-second of the process. Figures vary with the machine; no test asserts them.
 */
export async function run(args: string[] = []): Promise<Record<string, number>> {
  const mib = Number(args[0] ?? 64);
  const base = await mkdtemp(join(args[1] ?? tmpdir(), "mirador-logship-bench-"));
  let bodyBytes = 0;
  const server = createServer((req, res) => {
    req.on("data", (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.on("end", () => {
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const shipper = await LogShipper.open(
    { url, dir: join(base, "queue"), lanes: Number(args[2] ?? 4) },
    { logger: nopLogger, metrics: new Registry() },
  );
  try {
    const lineBytes = 150;
    const burst = 1000;
    const streams = 50;
    const total = Math.round((mib * 1024 * 1024) / lineBytes);
    const t0ns = 1_700_000_000_000_000_000n;
    const pad = "x".repeat(lineBytes);
    shipper.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < total; ) {
      const groups: { labels: Record<string, string>; entries: { tsNs: bigint; line: string }[] }[] = [];
      for (let k = 0; k < streams; k++)
        groups.push({ labels: { app: "bench", pod: `pod-${k}` }, entries: [] });
      for (let k = 0; k < burst && i < total; k++, i++) {
        const head = `2026-11-21T19:00:00.${String(i % 1000).padStart(3, "0")}Z INFO request ${i} `;
        groups[i % streams]!.entries.push({
          tsNs: t0ns + BigInt(i) * 1000n,
          line: (head + pad).slice(0, lineBytes),
        });
      }
      shipper.append(groups as LogStream[]);
      await nextTurn();
    }
    const appendMs = performance.now() - t0;
    while (shipper.pendingRecords > 0) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const lineMib = (total * lineBytes) / 2 ** 20;
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      lines: total,
      append_mib_per_s: round(lineMib / (appendMs / 1000)),
      mib_per_s: round(lineMib / (ms / 1000)),
      lines_per_s: Math.round(total / (ms / 1000)),
      mib_per_cpu_second: round(lineMib / cpuSeconds),
      compression_ratio: round((total * lineBytes) / bodyBytes),
      rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    await shipper.stop(0);
    server.closeAllConnections();
    server.close();
    await rm(base, { recursive: true, force: true });
  }
}
