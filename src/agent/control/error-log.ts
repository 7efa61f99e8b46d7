/** Default bound of the list. */
const DEFAULT_MAX = 10;

/**
 * The problems an agent reports in its heartbeat (docs/api/agent-protocol.md): the latest few, each
 * with the time it last happened. Errors have a kind (`config`, `certificate`, `control`…): one of a
 * kind that repeats replaces the earlier one, and {@link clear} forgets a kind once it is solved
 * (a version applied, a renewal done), so that the list shows what is wrong now.
 */
export class ErrorLog {
  /** By kind and text, oldest first. */
  readonly #entries = new Map<string, { kind: string; text: string; at: number }>();

  constructor(
    private readonly max = DEFAULT_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `text` of `kind`; the oldest entry goes when the list is full. */
  add(kind: string, text: string): void {
    const key = `${kind}\u0000${text}`;
    this.#entries.delete(key);
    this.#entries.set(key, { kind, text, at: this.now() });
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets every entry of `kind`. */
  clear(kind: string): void {
    for (const [key, e] of this.#entries) if (e.kind === kind) this.#entries.delete(key);
  }

  /** The entries, newest first, as `<ISO time> <kind>: <text>`. */
  list(): string[] {
    return [...this.#entries.values()]
      .reverse()
      .map((e) => `${new Date(e.at).toISOString()} ${e.kind}: ${e.text}`);
  }
}
