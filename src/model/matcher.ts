import { translateRE2 } from "./re2.js";

/** The four label matcher operators of PromQL and LogQL stream selectors. */
export type MatchType = "=" | "!=" | "=~" | "!~";

/**
 * A label matcher: `name op "value"`. Regular expressions use RE2 syntax (translated by
 * {@link translateRE2}), are fully anchored and `.` matches a newline, as in Prometheus. A matcher on an absent label sees the empty string.
 */
export class Matcher {
  readonly #re: RegExp | undefined;

  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    if (type === "=~" || type === "!~") {
      try {
        this.#re = new RegExp(`^(?:${translateRE2(value)})$`, "su");
      } catch (err) {
        throw new Error(
          `invalid regular expression ${JSON.stringify(value)} for label ${name}: ${(err as Error).message}`,
        );
      }
    }
  }

  /** Whether a label value (empty when the label is absent) satisfies this matcher. */
  matches(value: string): boolean {
    switch (this.type) {
      case "=":
        return value === this.value;
      case "!=":
        return value !== this.value;
      case "=~":
        return this.#re!.test(value);
      case "!~":
        return !this.#re!.test(value);
    }
  }

  /** Whether the matcher also matches the empty string (i.e. selects series lacking the label). */
  matchesEmpty(): boolean {
    return this.matches("");
  }

  /** PromQL text form, e.g. `job=~"api|web"`. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}
