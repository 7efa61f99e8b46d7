/**
 * Test support for the log shipper: a local Loki push endpoint (plain HTTP, or HTTPS asking for a
 * client certificate) that answers as a script says and decodes what it takes with the seed's push
 * decoder; a manual clock whose sleeps end only when the test moves time; helpers to make streams
 * and check per-stream order.
 */
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { decodePushBody, decodePushRequestProto, type PushRequest } from "../../../wire/loki/index.js";
import type { LogStream } from "./log-streams.js";
import { encodePushRequest } from "./push-batcher.js";
import { type IndexedRecord, indexLogRecord, LogRecordEncoder } from "./record-codec.js";

/** One entry the endpoint took. */
export interface GotEntry {
  /** The stream's labels as sent (selector text). */
  readonly stream: string;
  readonly tsNs: bigint;
  readonly line: string;
  readonly metadata: [string, string][] | undefined;
}

/** What the script answers: a status (default 204), headers, a body. `"drop"` resets the connection. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | "drop";

/** A request as it arrived. */
export interface SeenPush {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly status: number | "drop";
  /** Entries in the body (decoded whatever the answer). */
  readonly entries: number;
  /** Label sets of the body's streams (selector text). */
  readonly streams: string[];
  /** Serial number of the client certificate (HTTPS only). */
  readonly serial: string | undefined;
}

/** TLS material of an HTTPS endpoint that requires a client certificate signed by `ca`. */
export interface ServerTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The endpoint. `script` is asked for every request, in arrival order. */
export class TestLoki {
  readonly got: GotEntry[] = [];
  readonly seen: SeenPush[] = [];
  script: (n: number) => Answer | undefined = () => undefined;
  /** Delays each answer by up to this many ms (random), so that lanes interleave. */
  jitterMs = 0;
  /** The base URL (no path). */
  url = "";
  #server: ReturnType<typeof createHttpServer> | undefined;

  async start(tls?: ServerTls): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res);
    const server =
      tls === undefined
        ? createHttpServer(handler)
        : createHttpsServer(
            { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
            handler,
          );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    const port = (server.address() as AddressInfo).port;
    this.url = `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const decoded = decodePushBody(
        { contentType: req.headers["content-type"], contentEncoding: req.headers["content-encoding"], body },
        { maxDecompressedBytes: 64 << 20, setting: "test" },
      );
      const answer = this.script(this.seen.length) ?? { status: 204 };
      if (this.jitterMs > 0)
        setTimeout(() => this.#answer(req, res, answer, decoded), Math.random() * this.jitterMs);
      else this.#answer(req, res, answer, decoded);
    });
  }

  #answer(req: IncomingMessage, res: ServerResponse, answer: Answer, decoded: PushRequest): void {
    let entries = 0;
    for (const s of decoded.streams) entries += s.entries.length;
    const sock = req.socket as Partial<TLSSocket>;
    const serial = sock.getPeerCertificate?.()?.serialNumber?.toLowerCase();
    const path = req.url ?? "";
    const streams = decoded.streams.map((x) => x.labels);
    if (answer === "drop") {
      this.seen.push({ path, headers: req.headers, status: "drop", entries, streams, serial });
      req.socket.destroy();
      return;
    }
    this.seen.push({ path, headers: req.headers, status: answer.status, entries, streams, serial });
    if (answer.status >= 200 && answer.status < 300) {
      for (const s of decoded.streams)
        for (const e of s.entries)
          this.got.push({
            stream: s.labels,
            tsNs: e.timestampNs,
            line: e.line,
            metadata: e.structuredMetadata,
          });
    }
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? "");
  }
}

/** A clock moved by hand: `sleep` resolves when `advance` passes its end, or on abort. */
export class ManualClock {
  t = 1_700_000_000_000;
  readonly #sleepers: { at: number; resolve: () => void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const s = {
        at: this.t + ms,
        resolve: () => {
          const i = this.#sleepers.indexOf(s);
          if (i >= 0) this.#sleepers.splice(i, 1);
          signal.removeEventListener("abort", s.resolve);
          resolve();
        },
      };
      signal.addEventListener("abort", s.resolve, { once: true });
      this.#sleepers.push(s);
    });

  /** Sleeps not yet over. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  advance(ms: number): void {
    this.t += ms;
    for (const s of [...this.#sleepers]) if (s.at <= this.t) s.resolve();
  }
}

export const T0 = 1_700_000_000_000_000_000n;

/**
 * `perStream` entries for each of `streams` streams, for round `round`: stream k is
 * `{app="gen", pod="pod-k"}`, entry i's timestamp `T0 + (round * perStream + i) µs`, line
 * `pod-k line <round * perStream + i>` padded to `lineBytes`.
 */
export function makeStreams(streams: number, perStream: number, round = 0, lineBytes = 0): LogStream[] {
  const out: LogStream[] = [];
  for (let k = 0; k < streams; k++) {
    const entries = [];
    for (let i = 0; i < perStream; i++) {
      const n = round * perStream + i;
      entries.push({ tsNs: T0 + BigInt(n) * 1000n, line: `pod-${k} line ${n}`.padEnd(lineBytes, ".") });
    }
    out.push({ labels: { app: "gen", pod: `pod-${k}` }, entries });
  }
  return out;
}

/**
 * Per stream, whether the entries arrived in timestamp order (a duplicate counts separately), and
 * the distinct entries.
 */
export function checkOrder(got: readonly GotEntry[]): {
  outOfOrder: number;
  duplicates: number;
  distinct: number;
} {
  const last = new Map<string, bigint>();
  const seen = new Set<string>();
  let outOfOrder = 0;
  let duplicates = 0;
  for (const g of got) {
    const key = `${g.stream}@${g.tsNs}@${g.line}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const prev = last.get(g.stream);
    if (prev !== undefined && g.tsNs <= prev) outOfOrder++;
    last.set(g.stream, g.tsNs);
  }
  return { outOfOrder, duplicates, distinct: seen.size };
}

/** A whole record as one push request (one stream per record stream), read by the seed's decoder. */
export function recordToPush(rec: IndexedRecord): PushRequest {
  const parts = rec.streams.map((s) => ({
    labels: s.key.text,
    payloads: [rec.payload],
    starts: [s.start],
    ends: [s.end],
  }));
  return decodePushRequestProto(
    encodePushRequest({ parts, entries: rec.entries, bytes: 0, from: new Map() }),
  );
}

/** Bytes of one entry as a record and a push request hold it (what `batchSize` and bytes sent count). */
export function pushEntrySize(tsNs: bigint, line: string, metadata?: [string, string][]): number {
  let size = 0;
  const enc = new LogRecordEncoder(
    1 << 20,
    1 << 20,
    (p) => {
      const s = indexLogRecord(p).streams[0]!;
      size = s.end - s.start;
    },
    () => {},
  );
  enc.stream([["a", "b"]]);
  enc.entry(tsNs, line, metadata);
  enc.finish();
  return size;
}
