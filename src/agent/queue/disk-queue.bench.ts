import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { DiskQueue } from "./disk-queue.js";

/**
 * `npm run bench -- disk-queue [dir] [MiB]`: the agent's disk queue on a real disk (a temporary
 * directory under `dir`, default the OS temp dir, so pass a directory on the disk you care about),
 * with 1 KiB records and the default sync mode (`interval`, 1 s).
 *
 * - `live`: a producer appends `MiB` (default 256) in bursts of 64 records per turn of the event
 *   loop while a sender reads batches of up to 1000 records and acknowledges each with up to 4 in
 *   flight, out of order; timed from the first append to the last ack.
 * - `backlog`: the same volume appended with no sender (an outage), then the queue is closed and
 *   reopened (a restart) and drained: `append`, `open_ms` and `drain` (read + ack).
 *
 * Figures vary with the disk and the load; no test asserts them.
 */
export async function run(args: string[] = []): Promise<Record<string, number>> {
  const base = await mkdtemp(join(args[0] ?? tmpdir(), "mirador-queue-bench-"));
  const mib = Number(args[1] ?? 256);
  const records = Math.round((mib * 1024 * 1024) / 1024);
  const payload = new Uint8Array(1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  const out: Record<string, number> = {};
  const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
  const mibRate = (n: number, ms: number) => Math.round(((n * 1024) / 2 ** 20 / ms) * 1000 * 10) / 10;
  try {
    // Live: append, read and acknowledge at once.
    {
      const q = await DiskQueue.open(join(base, "live"));
      const t0 = performance.now();
      const producer = (async () => {
        for (let i = 0; i < records; ) {
          for (let k = 0; k < 64 && i < records; k++, i++) q.append(payload);
          await nextTurn();
        }
      })();
      let acked = 0;
      const inflight: { token: number; n: number }[] = [];
      let turn = 0;
      while (acked < records) {
        const b = await q.read(1000, 1 << 20);
        if (b === undefined) break;
        inflight.push({ token: b.token, n: b.records.length });
        if (inflight.length >= 4 || acked + inflight.reduce((n, x) => n + x.n, 0) >= records) {
          // Out of order: the second-oldest first when there is one.
          while (inflight.length > 0) {
            const [x] = inflight.splice(turn++ % 2 === 0 && inflight.length > 1 ? 1 : 0, 1);
            q.ack(x!.token);
            acked += x!.n;
          }
        }
      }
      await producer;
      const ms = performance.now() - t0;
      out["live.mib_per_s"] = mibRate(records, ms);
      out["live.records_per_s"] = rate(records, ms);
      out["live.syncs"] = q.stats.syncs;
      process.stderr.write(`live: ${records} records in ${ms.toFixed(0)} ms, ${JSON.stringify(q.stats)}\n`);
      await q.close();
    }
    // Backlog: an outage, a restart, then catching up.
    {
      const dir = join(base, "backlog");
      let q = await DiskQueue.open(dir);
      const t0 = performance.now();
      for (let i = 0; i < records; ) {
        for (let k = 0; k < 64 && i < records; k++, i++) q.append(payload);
        await nextTurn();
      }
      await q.sync();
      const appendMs = performance.now() - t0;
      await q.close();
      const t1 = performance.now();
      q = await DiskQueue.open(dir);
      const openMs = performance.now() - t1;
      const t2 = performance.now();
      let n = 0;
      for (
        let b = await q.read(1000, 1 << 20, { wait: false });
        b;
        b = await q.read(1000, 1 << 20, { wait: false })
      ) {
        n += b.records.length;
        q.ack(b.token);
      }
      await q.close();
      const drainMs = performance.now() - t2;
      if (n !== records) throw new Error(`backlog: drained ${n} records of ${records}`);
      out["backlog.append_mib_per_s"] = mibRate(records, appendMs);
      out["backlog.open_ms"] = Math.round(openMs);
      out["backlog.drain_mib_per_s"] = mibRate(records, drainMs);
      out["backlog.drain_records_per_s"] = rate(records, drainMs);
      process.stderr.write(
        `backlog: append ${appendMs.toFixed(0)} ms, open ${openMs.toFixed(0)} ms, drain ${drainMs.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  return out;
}
