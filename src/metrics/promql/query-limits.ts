import type { Ctx } from "../../model/context.js";
import { ExecutionError, QueryCanceledError, QueryTimeoutError } from "./errors.js";

/**
 * The limits one query runs under: how many samples it may hold in memory at once (counted like
 * Prometheus: points of selected windows, intermediate and final results) and when it must stop
 * (the caller's abort signal, the context deadline, the engine timeout).
 */
export class QueryLimits {
  #current = 0;
  #peak = 0;
  #checks = 0;

  constructor(
    readonly maxSamples: number,
    readonly ctx: Ctx,
    /** Unix ms after which the query times out, if any. */
    readonly deadline: number | undefined,
    /** The timeout that set `deadline`, for the error message. */
    readonly timeoutMs: number | undefined,
  ) {}

  /** Samples held right now. */
  get current(): number {
    return this.#current;
  }

  /** The most samples held at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** Accounts for `n` more samples in memory; throws {@link ExecutionError} past the limit. */
  add(n: number): void {
    this.#current += n;
    if (this.#current > this.#peak) this.#peak = this.#current;
    if (this.#current > this.maxSamples) {
      throw new ExecutionError(
        `query processing would load too many samples into memory in query execution (limit: ${this.maxSamples} samples); ` +
          "narrow the query (fewer series, a shorter range or a larger step) or raise the engine's maxSamples setting",
      );
    }
  }

  /** Throws if `n` more samples would pass the limit, without holding them. */
  probe(n: number): void {
    if (this.#current + n > this.maxSamples) this.add(n);
  }

  /** Forgets `n` samples that are no longer held. */
  release(n: number): void {
    this.#current -= n;
  }

  /**
   * Throws {@link QueryCanceledError} if the caller aborted, {@link QueryTimeoutError} past the
   * deadline. Cheap enough for inner loops: the clock is read on every 64th call.
   */
  check(): void {
    const signal = this.ctx.signal;
    if (signal.aborted) this.#throwAborted(signal.reason);
    if (this.deadline === undefined || (this.#checks++ & 63) !== 0) return;
    if (Date.now() > this.deadline) this.#throwTimeout();
  }

  /** Like {@link check}, but always reads the clock. */
  checkNow(): void {
    const signal = this.ctx.signal;
    if (signal.aborted) this.#throwAborted(signal.reason);
    if (this.deadline !== undefined && Date.now() > this.deadline) this.#throwTimeout();
  }

  #throwAborted(reason: unknown): never {
    if (reason instanceof Error && reason.name === "TimeoutError") this.#throwTimeout();
    throw new QueryCanceledError("query was canceled in expression evaluation");
  }

  #throwTimeout(): never {
    const limit =
      this.timeoutMs !== undefined
        ? ` (timeout: ${this.timeoutMs} ms; raise the query's timeout parameter or the engine's timeoutMs setting)`
        : "";
    throw new QueryTimeoutError(`query timed out in expression evaluation${limit}`);
  }
}
