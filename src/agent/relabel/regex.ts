import { translateRE2 } from "../../model/re2.js";
import type { TemplateMatch } from "./template.js";

const SURROGATE = /[\uD800-\uDFFF]/;
/** A literal (no character with a meaning in RE2 outside a class), optionally followed by `.*`. */
const PLAIN = /^([^\\.+*?()|[\]{}^$]*)(\.\*)?$/;
/** A literal followed by `(.*)` or `(.+)`: one group, the rest of the input. */
const GROUPED_PREFIX = /^([^\\.+*?()|[\]{}^$]*)\(\.([*+])\)$/;

/**
 * A relabel `regex`: RE2 syntax, anchored at both ends and with `.` matching a newline, as
 * Prometheus compiles it (`^(?s:…)$`). Translated to a JavaScript `RegExp` by
 * {@link translateRE2}. Common shapes skip the regex engine: literals and `literal.*` joined by
 * `|` (`true`, `go_.*|process_.*`), and `literal(.*)`/`literal(.+)` (the usual `labelmap` and
 * `replace` patterns). The answers are the same either way.
 */
export class AnchoredRegex {
  readonly #re: RegExp;
  #test: (s: string) => boolean;
  #exec: (s: string) => TemplateMatch | null;

  /** Compiles `pattern`; throws an `RE2Error` or a `SyntaxError` when it is not a valid regex. */
  constructor(
    /** The pattern as written in the configuration. */
    readonly pattern: string,
  ) {
    this.#re = new RegExp(`^(?:${translateRE2(pattern)})$`, "su");
    const re = this.#re;
    this.#test = (s) => re.test(s);
    this.#exec = (s) => re.exec(s);
    this.#shortcut(pattern);
  }

  /** Whether the whole of `s` matches. */
  test(s: string): boolean {
    return this.#test(s);
  }

  /** The groups matched in `s` (index 0 is `s` itself), or null when `s` does not match. */
  exec(s: string): TemplateMatch | null {
    return this.#exec(s);
  }

  /** Replaces the engine with plain string operations where the pattern's shape allows. */
  #shortcut(p: string): void {
    // Plain string operations compare code units, the engine code points: keep surrogates off them.
    if (SURROGATE.test(p)) return;
    const group = GROUPED_PREFIX.exec(p);
    if (group) {
      const prefix = group[1]!;
      const n = prefix.length;
      const min = group[2] === "+" ? n + 1 : n;
      this.#test = (s) => s.length >= min && s.startsWith(prefix);
      this.#exec = (s) => (s.length >= min && s.startsWith(prefix) ? [s, s.slice(n)] : null);
      return;
    }
    // Alternatives that are each a literal or `literal.*`: no groups to capture.
    const literals = new Set<string>();
    const prefixes: string[] = [];
    for (const alternative of p.split("|")) {
      const shape = PLAIN.exec(alternative);
      if (!shape) return;
      if (shape[2] === undefined) literals.add(shape[1]!);
      else if (shape[1] === "") {
        this.#test = () => true;
        this.#exec = (s) => [s];
        return;
      } else prefixes.push(shape[1]!);
    }
    const only = [...literals][0] ?? "";
    let test: (s: string) => boolean;
    if (prefixes.length > 0) test = (s) => literals.has(s) || prefixes.some((prefix) => s.startsWith(prefix));
    else if (literals.size === 1) test = (s) => s === only;
    else test = (s) => literals.has(s);
    this.#test = test;
    this.#exec = (s) => (test(s) ? [s] : null);
  }
}
