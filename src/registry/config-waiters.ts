/** One long-poll for a cluster's agent configuration. */
export interface ConfigWait<T> {
  readonly cluster: string;
  /** How long to wait for a change, in milliseconds; 0 or less checks once. */
  readonly waitMs: number;
  readonly signal: AbortSignal;
  /**
   * What to answer now, or undefined to go on waiting. Called once at the start and again after
   * each `notify` of the cluster; a rejection ends the wait with it.
   */
  readonly check: () => Promise<T | undefined>;
}

interface Waiter {
  /** Runs the wait's check again. */
  readonly recheck: () => void;
  /** Ends the wait with `undefined`. */
  readonly end: () => void;
}

/**
 * The long-polls waiting for configuration changes, by cluster. A wait ends in exactly one way —
 * an answer from its check, `undefined` after its time or on `endAll`, or its signal's reason on
 * abort — and then leaves nothing behind: its timer cleared, its abort listener removed, its entry
 * gone.
 */
export class ConfigWaiters {
  readonly #byCluster = new Map<string, Set<Waiter>>();
  #size = 0;

  /** Waits currently registered. */
  get size(): number {
    return this.#size;
  }

  /** Waits as `w` describes. */
  wait<T>(w: ConfigWait<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      if (w.signal.aborted) {
        reject(w.signal.reason);
        return;
      }
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        recheck: () => {
          w.check().then(
            (answer) => {
              if (answer !== undefined) finish(() => resolve(answer));
              else if (w.waitMs <= 0) finish(() => resolve(undefined));
            },
            (err: unknown) => finish(() => reject(err)),
          );
        },
        end: () => finish(() => resolve(undefined)),
      };
      const onAbort = () => finish(() => reject(w.signal.reason));
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.signal.removeEventListener("abort", onAbort);
        const set = this.#byCluster.get(w.cluster);
        if (set?.delete(waiter)) this.#size--;
        if (set?.size === 0) this.#byCluster.delete(w.cluster);
        settle();
      };

      // Registered before the first check, so that a change between that check and the wait is seen.
      let set = this.#byCluster.get(w.cluster);
      if (set === undefined) {
        set = new Set();
        this.#byCluster.set(w.cluster, set);
      }
      set.add(waiter);
      this.#size++;
      w.signal.addEventListener("abort", onAbort, { once: true });
      if (w.waitMs > 0) {
        timer = setTimeout(waiter.end, w.waitMs);
        timer.unref();
      }
      waiter.recheck();
    });
  }

  /** Rechecks the waits of `cluster` (its configuration changed). */
  notify(cluster: string): void {
    for (const waiter of [...(this.#byCluster.get(cluster) ?? [])]) waiter.recheck();
  }

  /** Ends every wait with `undefined`. */
  endAll(): void {
    for (const set of [...this.#byCluster.values()]) for (const waiter of [...set]) waiter.end();
  }
}
