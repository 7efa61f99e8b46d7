import { cpuMsPerCall } from "../../../lib/bench/cpu-time.js";
import { compilePipeline } from "./compile.js";
import { newEntry } from "./entry.js";

/**
 * `npm run bench -- log-stages`: per-line cost of the agent's pipeline stages over synthetic
 * Kubernetes container lines (CRI records wrapping JSON application logs of about 200 bytes), one
 * thread, a fresh entry and label map per line as the tailer would build them:
 *
 * - `none`: no stage (the cost of building the entry and calling the pipeline);
 * - `cri`: the `cri` stage alone (what every container stream runs);
 * - `cri_json`: `cri`, `json` (3 fields), `labels`, `timestamp` (RFC3339), `output`;
 * - `cri_multiline`: `cri` then `multiline` with a first-line regex (every 4th line starts a block);
 * - `cri_drop_limit`: `cri`, a `drop` by regex and a `limit` (not limiting).
 *
 * Figures per case: `<case>.ns_per_line` and `<case>.mib_per_s` (raw line bytes per CPU-second, the
 * best of several rounds).
 */
export async function run(_args: string[] = []): Promise<Record<string, number>> {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const ms = 1_714_557_600_000 + i;
    const ts = new Date(ms).toISOString();
    const level = ["info", "warn", "error", "debug"][i % 4]!;
    const body =
      i % 4 === 0
        ? JSON.stringify({
            ts,
            level,
            msg: `request ${i} handled`,
            path: `/api/v1/items/${i % 97}`,
            status: 200 + (i % 5),
            dur_ms: i % 300,
          })
        : `    at com.example.Handler.method${i % 13}(Handler.java:${i % 400}) request=${i}`;
    lines.push(`${ts.replace("Z", "123456Z")} stdout F ${body}`);
  }
  let bytes = 0;
  for (const l of lines) bytes += Buffer.byteLength(l);
  const cases: [string, unknown[]][] = [
    ["none", []],
    ["cri", [{ cri: {} }]],
    [
      "cri_json",
      [
        { cri: {} },
        { json: { expressions: { level: "", msg: "", ts: "" } } },
        { labels: { level: "" } },
        { timestamp: { source: "ts", format: "RFC3339" } },
        { output: { source: "msg" } },
      ],
    ],
    ["cri_multiline", [{ cri: {} }, { multiline: { firstline: "^\\{", max_wait_time: "3s" } }]],
    [
      "cri_drop_limit",
      [{ cri: {} }, { drop: { expression: "healthz" } }, { limit: { rate: 1e9, burst: 1e9 } }],
    ],
  ];
  const out: Record<string, number> = {};
  for (const [name, stages] of cases) {
    const p = compilePipeline(stages);
    let now = 0;
    const ms = cpuMsPerCall(
      () => {
        let n = 0;
        for (const l of lines) {
          const e = newEntry(
            l,
            0n,
            new Map([
              ["namespace", "default"],
              ["pod", "api-0"],
              ["container", "api"],
            ]),
          );
          n += p.process(e, now).length;
        }
        now += 1;
        return n + p.flush(now, true).length;
      },
      { ms: 1500, rounds: 5, warmup: 3 },
    );
    out[`${name}.ns_per_line`] = Math.round((ms * 1e6) / lines.length);
    out[`${name}.mib_per_s`] = Math.round(bytes / 2 ** 20 / (ms / 1000));
  }
  return out;
}
