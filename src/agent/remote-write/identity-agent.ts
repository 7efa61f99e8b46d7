import { Agent as HttpsAgent } from "node:https";

/** PEM material of an mTLS client identity and the CA that must have signed the server. */
export interface ClientTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** One https.Agent and the requests it serves now. */
interface Slot {
  readonly agent: HttpsAgent;
  inflight: number;
}

/** The connection pool to use for one request; `release` once its answer is read or it failed. */
export interface Lease {
  readonly agent: HttpsAgent;
  release(): void;
}

/**
 * Keep-alive HTTPS connections made with the current mTLS client identity. {@link setTls} swaps the
 * identity without a gap: new requests get an agent with the new certificate, while requests in
 * flight finish on the old agent's connections; the old agent's sockets are closed once its last
 * request ended. Lifecycle: `lease`/`release` per request, `setTls` any time, `close` at the end.
 */
export class IdentityAgent {
  #current: Slot;
  readonly #retired = new Set<Slot>();
  #closed = false;

  constructor(
    tls: ClientTls,
    private readonly maxSockets: number,
  ) {
    this.#current = this.#slot(tls);
  }

  /** The agent of the current identity for one request. `release` is idempotent. */
  lease(): Lease {
    const slot = this.#current;
    slot.inflight++;
    let released = false;
    return {
      agent: slot.agent,
      release: () => {
        if (released) return;
        released = true;
        slot.inflight--;
        if (slot.inflight === 0 && this.#retired.has(slot)) {
          this.#retired.delete(slot);
          slot.agent.destroy();
        }
      },
    };
  }

  /** Uses `tls` for every request leased from now on. */
  setTls(tls: ClientTls): void {
    if (this.#closed) return;
    const old = this.#current;
    this.#current = this.#slot(tls);
    if (old.inflight === 0) old.agent.destroy();
    else this.#retired.add(old);
  }

  /** Closes every connection, in use or idle (requests in flight are aborted by their own signals first). */
  close(): void {
    this.#closed = true;
    this.#current.agent.destroy();
    for (const s of this.#retired) s.agent.destroy();
    this.#retired.clear();
  }

  #slot(tls: ClientTls): Slot {
    return {
      agent: new HttpsAgent({
        keepAlive: true,
        maxSockets: this.maxSockets,
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        minVersion: "TLSv1.3",
      }),
      inflight: 0,
    };
  }
}
