import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  appendRun,
  type ChunkColumns,
  type PackedChunks,
  packChunks,
  unpackChunks,
} from "./series-chunks.js";
import { SeriesRuns } from "./series-runs.js";

/**
 * Where the WAL replay sends the samples that extend a series' chunks — those newer than the
 * series' newest — to be XOR-encoded by the head's chunk rule (`series-chunks.ts`), on the opening
 * thread or on worker threads. Everything else replay decides stays with the head, in log order:
 * drops, late samples, duplicates, series and refs. Those decisions never read a chunk, and a
 * series' chunks depend on its own samples alone, so the encoding may lag behind and run series by
 * series (much faster: a series' chunk stays in the cache while many of its samples are appended,
 * see `series-runs.ts`) or in parallel. Encoding is most of a replay's work (`replay.bench.ts`).
 */
export interface ChunkEncoder {
  /**
   * Takes the sample `(t, vs[i])` of series `ref` (an int32 ≥ 0), newer than every sample given for
   * `ref` before and than those in `ref`'s chunks already.
   */
  add(ref: number, t: number, vs: Float64Array, i: number): void;
  /** A promise to await before adding more, when the encoder is far behind; else undefined. */
  backlog(): Promise<void> | undefined;
  /** Encodes everything added into the chunk columns the encoder was made for. Once. */
  finish(): Promise<void>;
  /** Stops the encoder's threads, if any; after `finish`, or instead of it after a failure. */
  close(): Promise<void>;
}

/**
 * The threads {@link chunkEncoder} should use for a WAL of `walBytes` bytes: none below 32 MiB
 * (replayed in about a second on one thread, which a thread's start-up would not pay back), else
 * one per other CPU, 1 to 4 (the opening thread reading and deciding keeps about one busy).
 */
export function defaultReplayThreads(walBytes: number): number {
  if (walBytes < 32 * 1024 * 1024) return 0;
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * An encoder into `cols` (the head's chunk columns, empty for the series replayed) with `threads`
 * worker threads, or on this thread for 0 — or when the worker script cannot run, i.e. when this
 * code runs from its TypeScript sources (tests), not compiled.
 */
export function chunkEncoder(cols: ChunkColumns, blockMs: number, threads: number): ChunkEncoder {
  if (threads <= 0 || !import.meta.url.endsWith(".js")) return new LocalChunkEncoder(cols, blockMs);
  const ports: EncoderPort[] = [];
  for (let k = 0; k < threads; k++) ports.push(workerPort(blockMs));
  return new ThreadChunkEncoder(cols, ports);
}

/** Encodes on this thread, series by series, a million samples at a time. */
export class LocalChunkEncoder implements ChunkEncoder {
  readonly #runs: SeriesRuns;

  constructor(
    private readonly cols: ChunkColumns,
    private readonly blockMs: number,
    capacity?: number,
  ) {
    this.#runs = new SeriesRuns(capacity);
  }

  add(ref: number, t: number, vs: Float64Array, i: number): void {
    if (this.#runs.full) this.flush();
    this.#runs.push(ref, t, vs, i);
  }

  backlog(): undefined {
    return undefined;
  }

  /** Encodes what was added so far. */
  flush(): void {
    const runs = this.#runs;
    runs.drain((ref, from, to) => appendRun(this.cols, this.blockMs, ref, runs.ts, runs.values, from, to));
  }

  async finish(): Promise<void> {
    this.flush();
  }

  async close(): Promise<void> {}
}

/** A batch of samples in log order: sample `k < n` is `(refs[k], ts[k], values[k])`. */
interface SampleBuffers {
  readonly refs: Int32Array;
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** What the opening thread sends an encoder thread. */
export type EncoderRequest =
  | ({ readonly kind: "samples"; readonly n: number } & SampleBuffers)
  | { readonly kind: "finish" };

/** What an encoder thread answers: the buffers of each batch back once encoded, and the chunks at the end. */
export type EncoderReply =
  | ({ readonly kind: "ack" } & SampleBuffers)
  | ({ readonly kind: "chunks" } & PackedChunks);

/** A channel to an encoder thread (a worker thread, or a loopback in tests). */
export interface EncoderPort {
  /** Sends `msg`, moving the `transfer` buffers. */
  send(msg: EncoderRequest, transfer: ArrayBuffer[]): void;
  /** Sets the receiver of the thread's replies and of its failure (an error, or an exit before its chunks). */
  listen(onReply: (msg: EncoderReply) => void, onFailure: (err: Error) => void): void;
  /** Stops the thread. */
  terminate(): Promise<void>;
}

/**
 * The encoder thread's side: a {@link LocalChunkEncoder} on its own columns, answering each batch
 * with its buffers and `finish` with the chunks, packed (`series-chunks.ts`).
 */
export class EncoderService {
  readonly #cols: ChunkColumns = { open: [], closed: [] };
  readonly #local: LocalChunkEncoder;
  #refLimit = 0;

  constructor(
    blockMs: number,
    private readonly reply: (msg: EncoderReply, transfer: ArrayBuffer[]) => void,
  ) {
    this.#local = new LocalChunkEncoder(this.#cols, blockMs);
  }

  handle(msg: EncoderRequest): void {
    if (msg.kind === "samples") {
      const { n, refs, ts, values } = msg;
      const local = this.#local;
      let limit = this.#refLimit;
      for (let k = 0; k < n; k++) {
        const ref = refs[k]!;
        if (ref >= limit) limit = ref + 1;
        local.add(ref, ts[k]!, values, k);
      }
      this.#refLimit = limit;
      this.reply({ kind: "ack", refs, ts, values }, [refs.buffer, ts.buffer, values.buffer] as ArrayBuffer[]);
      return;
    }
    this.#local.flush();
    const p = packChunks(this.#cols, this.#refLimit);
    this.reply({ kind: "chunks", ...p }, [p.closed.buffer, p.open.buffer, p.bytes.buffer] as ArrayBuffer[]);
  }
}

/** Samples per batch sent to a thread (1.25 MiB). */
const BATCH = 1 << 16;
/** Batches sent to a thread and not yet encoded before the replay waits for it. */
const MAX_IN_FLIGHT = 8;

/** One encoder thread, as the opening thread sees it: the batch being filled and what is in flight. */
class Shard {
  buf: SampleBuffers;
  n = 0;
  inFlight = 0;
  readonly spare: SampleBuffers[] = [];
  chunks: PackedChunks | undefined;
  /** Called on each reply (and on failure). */
  wake: (() => void) | undefined;

  constructor(readonly port: EncoderPort) {
    this.buf = newBuffers();
  }
}

function newBuffers(): SampleBuffers {
  return { refs: new Int32Array(BATCH), ts: new Float64Array(BATCH), values: new Float64Array(BATCH) };
}

/**
 * Encodes on other threads: series `ref` goes to thread `ref % threads`, in batches of
 * {@link BATCH} samples; {@link finish} collects each thread's chunks into the columns.
 */
export class ThreadChunkEncoder implements ChunkEncoder {
  readonly #shards: Shard[];
  #failure: Error | undefined;

  constructor(
    private readonly cols: ChunkColumns,
    ports: readonly EncoderPort[],
  ) {
    if (ports.length === 0) throw new RangeError("ThreadChunkEncoder: no thread");
    this.#shards = ports.map((port) => {
      const shard = new Shard(port);
      port.listen(
        (msg) => {
          if (msg.kind === "ack") {
            shard.inFlight--;
            shard.spare.push(msg);
          } else {
            shard.chunks = msg;
          }
          shard.wake?.();
        },
        (err) => {
          this.#failure ??= new Error(`WAL replay: a chunk encoder thread failed: ${err.message}`, {
            cause: err,
          });
          for (const s of this.#shards) s.wake?.();
        },
      );
      return shard;
    });
  }

  add(ref: number, t: number, vs: Float64Array, i: number): void {
    const shards = this.#shards;
    const shard = shards.length === 1 ? shards[0]! : shards[ref % shards.length]!;
    const { refs, ts, values } = shard.buf;
    const k = shard.n;
    refs[k] = ref;
    ts[k] = t;
    // Float64Array to Float64Array: the bits, NaN payloads included, are kept.
    values[k] = vs[i]!;
    shard.n = k + 1;
    if (k + 1 === BATCH) this.#send(shard);
  }

  backlog(): Promise<void> | undefined {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const behind = this.#shards.find((s) => s.inFlight >= MAX_IN_FLIGHT);
    if (behind === undefined) return undefined;
    return this.#until(behind, () => behind.inFlight < MAX_IN_FLIGHT);
  }

  async finish(): Promise<void> {
    for (const shard of this.#shards) {
      if (shard.n > 0) this.#send(shard);
      this.#check();
      shard.port.send({ kind: "finish" }, []);
    }
    for (const shard of this.#shards) {
      await this.#until(shard, () => shard.chunks !== undefined);
      unpackChunks(shard.chunks!, this.cols);
      shard.chunks = undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.port.terminate()));
  }

  #send(shard: Shard): void {
    this.#check();
    const { refs, ts, values } = shard.buf;
    shard.port.send({ kind: "samples", n: shard.n, refs, ts, values }, [
      refs.buffer,
      ts.buffer,
      values.buffer,
    ] as ArrayBuffer[]);
    shard.inFlight++;
    shard.buf = shard.spare.pop() ?? newBuffers();
    shard.n = 0;
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Resolves once `done()` holds after a reply from `shard`; rejects if a thread failed. */
  #until(shard: Shard, done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = () => {
        if (this.#failure !== undefined) reject(this.#failure);
        else if (done()) resolve();
        else return;
        shard.wake = undefined;
      };
      shard.wake = poll;
      poll();
    });
  }
}

/** The compiled worker script (beside this module in dist/). */
const WORKER_SCRIPT = new URL("./replay-encoder-worker.js", import.meta.url);

/** A worker thread running {@link EncoderService} (`replay-encoder-worker.ts`). */
function workerPort(blockMs: number): EncoderPort {
  const worker = new Worker(WORKER_SCRIPT, { workerData: { blockMs } });
  let finished = false;
  return {
    send: (msg, transfer) => worker.postMessage(msg, transfer),
    listen: (onReply, onFailure) => {
      worker.on("message", (msg: EncoderReply) => {
        if (msg.kind === "chunks") finished = true;
        onReply(msg);
      });
      worker.on("error", onFailure);
      worker.on("exit", (code) => {
        if (!finished) onFailure(new Error(`the thread exited with code ${code} before sending its chunks`));
      });
    },
    terminate: async () => {
      finished = true;
      await worker.terminate();
    },
  };
}
