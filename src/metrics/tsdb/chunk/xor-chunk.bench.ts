import { crc32c } from "./crc32c.js";
import { XOR_CHUNK_TARGET_SAMPLES, XorChunkAppender, XorChunkIterator } from "./xor-chunk.js";

/**
 * `npm run bench -- xor-chunk`: encode and decode throughput of XOR chunks (samples per second of
 * the process's CPU time, one thread: robust on a shared machine, and equal to wall-clock time on
 * an idle one) and their size (bytes/sample, chunk data without file framing) on node-exporter-like
 * series: one chunk of 120 samples at 15 s per series. Also CRC32C throughput: the table-driven
 * slicing-by-8 of `crc32c.ts` against the one-table byte-at-a-time loop and the bitwise
 * definition. Figures only; nothing asserts a timing.
 *
 * The mix, per 100 series, roughly what one host's node exporter exposes: 40 constant (info
 * metrics, sizes, limits, error counters that stay 0), 10 idle counters (a small step now and
 * then), 20 busy integer counters (bytes, packets, interrupts; each series its own rate), 10 CPU
 * seconds counters at 0.01 s resolution, 10 memory gauges (bytes in whole KiB, a random walk) and
 * 10 other gauges (load averages to 0.01, temperatures to 0.1 °C). Timestamps are either on the scrape
 * schedule (as Prometheus stores them within its `--scrape.timestamp-tolerance`) or jittered by
 * ±2 ms (what `Date.now()` at each scrape gives).
 */

const SERIES = 2000;
const N = XOR_CHUNK_TARGET_SAMPLES;
const T0 = 1_700_000_000_000;
const KINDS = [
  "constant",
  "idle_counter",
  "busy_counter",
  "cpu_seconds",
  "memory_gauge",
  "other_gauge",
] as const;
type Kind = (typeof KINDS)[number];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function kindOf(i: number): Kind {
  const k = i % 100;
  if (k < 40) return "constant";
  if (k < 50) return "idle_counter";
  if (k < 70) return "busy_counter";
  if (k < 80) return "cpu_seconds";
  return k < 90 ? "memory_gauge" : "other_gauge";
}

/** The samples of one series' chunk, in typed arrays. */
function series(
  kind: Kind,
  i: number,
  jitter: boolean,
  r: () => number,
): { ts: Float64Array; vs: Float64Array } {
  const ts = new Float64Array(N);
  const vs = new Float64Array(N);
  const rate = 10 ** Math.floor(r() * 6); // a busy counter's scale: 1 … 100 000 per second
  let v = Math.floor(r() * 1e9);
  let kib = Math.floor(r() * 4e6);
  let g = r() * 4;
  for (let k = 0; k < N; k++) {
    ts[k] = T0 + k * 15_000 + (jitter ? Math.floor(r() * 5) - 2 : 0);
    switch (kind) {
      case "constant":
        vs[k] = i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 16_000_000_000 + i * 4096;
        break;
      case "idle_counter":
        if (r() < 0.05) v += 1 + Math.floor(r() * 10);
        vs[k] = v;
        break;
      case "busy_counter":
        v += Math.floor(r() * rate * 15);
        vs[k] = v;
        break;
      case "cpu_seconds":
        v += Math.floor(r() * 1500); // hundredths of a second in 15 s
        vs[k] = v / 100;
        break;
      case "memory_gauge":
        if (r() < 0.7) kib += Math.floor((r() - 0.5) * 2000);
        vs[k] = kib * 1024;
        break;
      case "other_gauge":
        g = Math.max(0, g + (r() - 0.5) * 0.2);
        vs[k] = i % 2 === 0 ? Math.round(g * 100) / 100 : 40 + Math.round(g * 10) / 10;
        break;
    }
  }
  return { ts, vs };
}

function dataset(jitter: boolean): { kind: Kind; ts: Float64Array; vs: Float64Array }[] {
  const r = rng(jitter ? 2 : 1);
  return Array.from({ length: SERIES }, (_, i) => ({ kind: kindOf(i), ...series(kindOf(i), i, jitter, r) }));
}

/** CPU milliseconds per call of `f`: the best of `rounds` rounds of at least `ms` CPU ms each. */
function time(f: () => void, ms = 400, rounds = 8): number {
  f();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let calls = 0;
    const start = process.cpuUsage();
    let used = 0;
    while (used < ms / rounds) {
      f();
      calls++;
      const d = process.cpuUsage(start);
      used = (d.user + d.system) / 1000;
    }
    best = Math.min(best, used / calls);
  }
  return best;
}

function bytewiseCrc32c(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

const BYTE_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[b] = c;
  }
  return t;
})();

function tableCrc32c(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) c = BYTE_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The figures: samples/s, bytes/sample, bytes/s. */
export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let sink = 0;
  for (const jitter of [false, true]) {
    const data = dataset(jitter);
    const suffix = jitter ? "jitter" : "aligned";
    const chunks = data.map(({ ts, vs }) => {
      const a = new XorChunkAppender(256);
      for (let k = 0; k < N; k++) a.append(ts[k]!, vs[k]!);
      return a.bytes().slice();
    });
    const total = chunks.reduce((s, c) => s + c.length, 0);
    out[`bytes_per_sample_${suffix}`] = total / (SERIES * N);
    if (!jitter) {
      for (const kind of KINDS) {
        let bytes = 0;
        let count = 0;
        data.forEach((d, i) => {
          if (d.kind !== kind) return;
          bytes += chunks[i]!.length;
          count += N;
        });
        out[`bytes_per_sample_${kind}`] = bytes / count;
      }
    }
    const encodeMs = time(() => {
      for (const { ts, vs } of data) {
        const a = new XorChunkAppender(256);
        for (let k = 0; k < N; k++) a.append(ts[k]!, vs[k]!);
        sink += a.numSamples;
      }
    });
    out[`encode_samples_per_s_${suffix}`] = (SERIES * N) / (encodeMs / 1000);
    const it = new XorChunkIterator();
    const decodeMs = time(() => {
      let s = 0;
      for (const c of chunks) {
        it.reset(c);
        while (it.next()) s += it.t + it.v;
      }
      sink += s;
    });
    out[`decode_samples_per_s_${suffix}`] = (SERIES * N) / (decodeMs / 1000);
  }

  const block = new Uint8Array(1 << 20);
  const r = rng(3);
  for (let i = 0; i < block.length; i++) block[i] = r() * 256;
  const chunkSized = block.subarray(0, 200);
  out.crc32c_bytes_per_s = block.length / (time(() => (sink += crc32c(block))) / 1000);
  out.crc32c_200_byte_chunks_per_s = 1 / (time(() => (sink += crc32c(chunkSized)), 100) / 1000);
  out.crc32c_one_table_bytes_per_s = block.length / (time(() => (sink += tableCrc32c(block))) / 1000);
  const slice = block.subarray(0, 1 << 16);
  out.crc32c_bitwise_bytes_per_s =
    slice.length / (time(() => (sink += bytewiseCrc32c(slice)), 100, 2) / 1000);
  if (sink === 0.5) out.sink = sink; // keeps the work observable to the compiler
  return out;
}
