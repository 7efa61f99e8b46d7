/**
 * Test support for the remote-write queue: a local HTTP remote-write endpoint that answers as a
 * script says, decodes what it takes with the seed's decoders and records every sample (value as
 * bits), and helpers to build scrape-like batches.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Labels } from "../../model/labels.js";
import { decodeWriteRequestV1Fast } from "../../wire/remote-write/fast-v1.js";
import { decodeRequestV2Fast } from "../../wire/remote-write/fast-v2.js";
import type { RawLabels } from "../../wire/remote-write/raw-labels.js";
import type { WriteSink } from "../../wire/remote-write/write-sink.js";
import { snappyDecompress } from "../../wire/snappy.js";
import type { SampleBatch } from "../sample-batch.js";

/** One sample the server took. */
export interface Got {
  readonly series: string;
  readonly t: number;
  readonly bits: bigint;
}

/** What the script answers: a status (default 204), headers, a body. `"drop"` resets the connection. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | "drop";

/** A request as it arrived. */
export interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
  readonly status: number | "drop";
}

/** The endpoint. `script` is asked for every request, in arrival order. */
export class TestRemote {
  readonly got: Got[] = [];
  readonly seen: Seen[] = [];
  script: (n: number, headers: IncomingHttpHeaders) => Answer | undefined = () => undefined;
  /** Delays each answer by up to this many ms (random), so that shards interleave. */
  jitterMs = 0;
  #server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = new Uint8Array(Buffer.concat(chunks));
        const answer = this.script(this.seen.length, req.headers) ?? { status: 204 };
        const respond = () => {
          if (answer === "drop") {
            this.seen.push({ headers: req.headers, body, status: "drop" });
            req.socket.destroy();
            return;
          }
          this.seen.push({ headers: req.headers, body, status: answer.status });
          if (answer.status >= 200 && answer.status < 300) this.#take(req.headers, body);
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? "");
        };
        if (this.jitterMs > 0) setTimeout(respond, Math.random() * this.jitterMs);
        else respond();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  #take(headers: IncomingHttpHeaders, body: Uint8Array): void {
    decodeRemoteWrite(headers["content-type"], body, this.got);
  }
}

/**
 * Decodes a remote-write body (snappy, 1.0 or 2.0 by `contentType`) with the seed's decoders and
 * appends every sample to `out`; returns how many.
 */
export function decodeRemoteWrite(contentType: string | undefined, body: Uint8Array, out: Got[]): number {
  const before = out.length;
  const raw = snappyDecompress(body, 64 << 20);
  const sink = new CollectingSink(out);
  if (String(contentType).includes("io.prometheus.write.v2.Request")) decodeRequestV2Fast(raw, sink);
  else decodeWriteRequestV1Fast(raw, sink);
  return out.length - before;
}

/** Records every sample with its series' label key and value bits. */
class CollectingSink implements WriteSink {
  readonly #keys: string[] = [];

  constructor(private readonly out: Got[]) {}

  series(labels: RawLabels): number {
    const p = labels.problem();
    if (p !== undefined) throw new Error(`bad series ${labels.toString()}: ${String(p)}`);
    this.#keys.push(labels.toLabels().key());
    return this.#keys.length - 1;
  }

  sample(): void {
    throw new Error("the batch form is expected");
  }

  samples(handle: number, count: number, timestamps: Float64Array, values: Float64Array): void {
    const bits = new BigUint64Array(values.buffer, values.byteOffset, count);
    for (let i = 0; i < count; i++)
      this.out.push({ series: this.#keys[handle]!, t: timestamps[i]!, bits: bits[i]! });
  }
}

/** The bits of the stale marker. */
export const STALE_BITS = 0x7ff0000000000002n;

/** A scrape of `series` series at round `round`: `t = T0 + round * 1000`, value bits = round * 1000 + series (as a double) or the stale marker. */
export function scrape(series: number, round: number, stale = false): SampleBatch {
  const labels: Labels[] = [];
  const timestamps = new Float64Array(series);
  const values = new Float64Array(series);
  const bits = new BigUint64Array(values.buffer);
  for (let i = 0; i < series; i++) {
    labels.push(seriesLabels(i));
    timestamps[i] = T0 + round * 1000;
    if (stale) bits[i] = STALE_BITS;
    else values[i] = round * 1000 + i;
  }
  return { length: series, labels, timestamps, values };
}

const T0 = 1_700_000_000_000;
const labelCache: Labels[] = [];

function seriesLabels(i: number): Labels {
  labelCache[i] ??= Labels.fromRecord({
    __name__: "node_cpu_seconds_total",
    cluster: "edge-1",
    cpu: String(i % 16),
    instance: "node-1:9100",
    job: "node",
    mode: `m${Math.floor(i / 16)}`,
  });
  return labelCache[i]!;
}

/** The round a received sample belongs to. */
export function roundOf(g: Got): number {
  return (g.t - T0) / 1000;
}

/** Checks per-series order (timestamps strictly rising per series in arrival order); returns the duplicates. */
export function checkOrder(got: readonly Got[]): { outOfOrder: number; duplicates: number } {
  const last = new Map<string, number>();
  const seen = new Set<string>();
  let outOfOrder = 0;
  let duplicates = 0;
  for (const g of got) {
    const key = `${g.series}@${g.t}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const prev = last.get(g.series);
    if (prev !== undefined && g.t <= prev) outOfOrder++;
    last.set(g.series, g.t);
  }
  return { outOfOrder, duplicates };
}

/** Distinct (series, timestamp) pairs received. */
export function distinct(got: readonly Got[]): number {
  return new Set(got.map((g) => `${g.series}@${g.t}`)).size;
}
