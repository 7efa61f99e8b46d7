/**
 * Micro-benchmark of the Loki push decoders on a promtail-like request: 5 streams of 2,000 lines
 * each (JSON access logs, logfmt and plain text with trace ids, 90–250 bytes), some lines with
 * structured metadata. `npm run bench -- loki-push`.
 *
 * Figures (keys `<format>.<figure>`), each from the best of several timed batches:
 * - `lines_per_s`: lines decoded per second (one CPU, decode only: no validation or storage);
 * - `mb_per_s`: MB (10^6 bytes) of line text decoded per second;
 * - `body_bytes`: the request's size on the wire.
 * Formats: `protobuf_snappy` ({@link decodePushBody} on a snappy block, as Loki's clients send),
 * `protobuf` ({@link decodePushRequestProto} on the same bytes uncompressed), `json` and
 * `json_gzip` (the JSON push format, plain and gzip'd).
 */
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { snappyCompress } from "../snappy.js";
import { decodePushBody } from "./push-body.js";
import { decodePushRequestProto } from "./push-proto.js";

const STREAMS = 5;
const LINES = 2_000;
const T0 = 1_700_000_000_000_000_000n;

interface Line {
  ns: bigint;
  line: string;
  md: [string, string][];
}

function corpus(): { labels: [string, string][]; lines: Line[] }[] {
  const out: { labels: [string, string][]; lines: Line[] }[] = [];
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let s = 0; s < STREAMS; s++) {
    const lines: Line[] = [];
    for (let i = 0; i < LINES; i++) {
      const trace =
        rnd(1 << 30)
          .toString(16)
          .padStart(8, "0") +
        rnd(1 << 30)
          .toString(16)
          .padStart(8, "0");
      const kind = (s + i) % 3;
      const line =
        kind === 0
          ? `{"ts":"2023-11-14T22:13:20.${i}Z","method":"GET","path":"/api/v1/items/${rnd(100000)}","status":${[200, 200, 404, 500][rnd(4)]},"bytes":${rnd(50000)},"ua":"Mozilla/5.0 (X11; Linux x86_64)","trace_id":"${trace}"}`
          : kind === 1
            ? `level=${["info", "warn", "error"][rnd(3)]} ts=2023-11-14T22:13:20Z caller=handler.go:${rnd(500)} msg="request served" duration=${rnd(900)}ms user=u${rnd(1000)}`
            : `2023-11-14 22:13:20,${rnd(999)} INFO [worker-${rnd(16)}] processed batch ${i} in ${rnd(900)} ms trace=${trace}`;
      lines.push({ ns: T0 + BigInt(i) * 1_000_000n, line, md: i % 4 === 0 ? [["trace_id", trace]] : [] });
    }
    out.push({
      labels: [
        ["app", `svc-${s}`],
        ["cluster", "demo-1"],
        ["namespace", "default"],
        ["pod", `svc-${s}-7d9f8c-x${s}`],
      ],
      lines,
    });
  }
  return out;
}

function encodeProto(c: ReturnType<typeof corpus>): Uint8Array {
  const w = new ProtobufWriter(1 << 20);
  for (const s of c) {
    w.tag(1, 2);
    const sm = w.fork();
    w.tag(1, 2).string(`{${s.labels.map(([n, v]) => `${n}="${v}"`).join(", ")}}`);
    for (const e of s.lines) {
      w.tag(2, 2);
      const em = w.fork();
      w.tag(1, 2);
      const tm = w.fork();
      w.tag(1, 0).int64(Number(e.ns / 1_000_000_000n));
      w.tag(2, 0).int64(Number(e.ns % 1_000_000_000n));
      w.join(tm);
      w.tag(2, 2).string(e.line);
      for (const [n, v] of e.md) {
        w.tag(3, 2);
        const pm = w.fork();
        w.tag(1, 2).string(n);
        w.tag(2, 2).string(v);
        w.join(pm);
      }
      w.join(em);
    }
    w.join(sm);
  }
  return w.finish();
}

function encodeJson(c: ReturnType<typeof corpus>): Uint8Array {
  const doc = {
    streams: c.map((s) => ({
      stream: Object.fromEntries(s.labels),
      values: s.lines.map((e) =>
        e.md.length === 0 ? [String(e.ns), e.line] : [String(e.ns), e.line, Object.fromEntries(e.md)],
      ),
    })),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Best lines/s over `rounds` batches of `reps` decodes. */
function measure(decode: () => unknown, lines: number, rounds = 7, reps = 5): number {
  let best = 0;
  decode();
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) decode();
    const s = (performance.now() - t) / 1000;
    best = Math.max(best, (lines * reps) / s);
  }
  return best;
}

/** Runs the benchmark; progress on stderr, figures returned. */
export async function run(): Promise<Record<string, number>> {
  const c = corpus();
  const lines = STREAMS * LINES;
  const textBytes = c.reduce((n, s) => n + s.lines.reduce((m, e) => m + Buffer.byteLength(e.line), 0), 0);
  const proto = encodeProto(c);
  const snappy = snappyCompress(proto);
  const json = encodeJson(c);
  const jsonGz = gzipSync(json);
  const limits = { maxDecompressedBytes: 64 << 20, setting: "bench" };
  const cases: [string, Uint8Array, () => unknown][] = [
    [
      "protobuf_snappy",
      snappy,
      () => decodePushBody({ contentType: undefined, contentEncoding: undefined, body: snappy }, limits),
    ],
    ["protobuf", proto, () => decodePushRequestProto(proto)],
    [
      "json",
      json,
      () =>
        decodePushBody({ contentType: "application/json", contentEncoding: undefined, body: json }, limits),
    ],
    [
      "json_gzip",
      jsonGz,
      () =>
        decodePushBody({ contentType: "application/json", contentEncoding: "gzip", body: jsonGz }, limits),
    ],
  ];
  const out: Record<string, number> = {};
  for (const [name, body, decode] of cases) {
    const lps = measure(decode, lines);
    out[`${name}.lines_per_s`] = Math.round(lps);
    out[`${name}.mb_per_s`] = Math.round(((lps * textBytes) / lines / 1e6) * 10) / 10;
    out[`${name}.body_bytes`] = body.length;
    process.stderr.write(`${name}: ${Math.round(lps)} lines/s\n`);
  }
  return out;
}
