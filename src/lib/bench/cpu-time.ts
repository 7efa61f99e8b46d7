/**
 * CPU milliseconds per call of `f`: the best of `rounds` rounds of at least `ms / rounds` CPU ms
 * each, after `warmup` calls. `f` returns a number that is summed so the work cannot be optimised away.
 */
export function cpuMsPerCall(f: () => number, opts: { ms: number; rounds: number; warmup: number }): number {
  let sink = 0;
  for (let i = 0; i < opts.warmup; i++) sink += f();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < opts.rounds; round++) {
    let calls = 0;
    let used = 0;
    const start = process.cpuUsage();
    while (used < opts.ms / opts.rounds) {
      sink += f();
      calls++;
      const d = process.cpuUsage(start);
      used = (d.user + d.system) / 1000;
    }
    best = Math.min(best, used / calls);
  }
  if (sink < 0) throw new Error("unreachable");
  return best;
}
