/**
 * Replacement templates as Go's `regexp.Expand` reads them, which is what Prometheus applies to
 * `replacement` and to a `replace` action's `target_label`:
 *
 * - `$$` is a literal `$`;
 * - `$name` takes the longest run of letters, digits and `_` after the `$` as the name, so `$1x`
 *   names a group called `1x` (almost always missing, so it expands to "") — write `${1}x`;
 * - `${name}` is the same with explicit bounds;
 * - a name of ASCII digits without a leading zero is a group number, anything else a group name;
 * - a missing or non-participating group expands to "";
 * - a `$` that starts no valid reference (`$-`, `${`, `${x`, a final `$`) is kept as it is.
 */

/** What a template reference reads from a match: index 0 is the whole match. */
export interface TemplateMatch {
  readonly [index: number]: string | undefined;
  readonly groups?: Readonly<Record<string, string | undefined>> | undefined;
}

/** A run of letters, digits and `_` (Go's `unicode.IsLetter`, `unicode.IsDigit`), at a given position. */
const NAME_RUN = /[\p{L}\p{Nd}_]+/uy;
const GROUP_NUMBER = /^(?:0|[1-9][0-9]*)$/;

/** A parsed template: literal text between references. Expanding it does not re-parse. */
export class Template {
  /** Whether the template holds no reference, so that it always expands to {@link Template.constant}. */
  readonly isConstant: boolean;

  private constructor(
    /** Literal pieces; one more than there are references. */
    private readonly literals: readonly string[],
    /** Group numbers and names, between the literal pieces. */
    private readonly refs: readonly (number | string)[],
  ) {
    this.isConstant = refs.length === 0;
  }

  /** Parses `text` (never fails: malformed references stay literal). */
  static parse(text: string): Template {
    const literals: string[] = [];
    const refs: (number | string)[] = [];
    let lit = "";
    let i = 0;
    while (i < text.length) {
      const dollar = text.indexOf("$", i);
      if (dollar < 0) {
        lit += text.slice(i);
        break;
      }
      lit += text.slice(i, dollar);
      i = dollar + 1;
      if (text[i] === "$") {
        lit += "$";
        i++;
        continue;
      }
      const braced = text[i] === "{";
      NAME_RUN.lastIndex = braced ? i + 1 : i;
      const name = NAME_RUN.exec(text)?.[0];
      let end = NAME_RUN.lastIndex;
      if (name === undefined || (braced && text[end] !== "}")) {
        lit += "$";
        continue;
      }
      if (braced) end++;
      literals.push(lit);
      lit = "";
      refs.push(GROUP_NUMBER.test(name) ? Number(name) : name);
      i = end;
    }
    literals.push(lit);
    return new Template(literals, refs);
  }

  /** The expansion of a template without references (its text with `$$` read as `$`). */
  get constant(): string {
    return this.literals.join("");
  }

  /** The template with each reference replaced by what `match` captured. */
  expand(match: TemplateMatch): string {
    const { literals, refs } = this;
    let out = literals[0]!;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      out += (typeof ref === "number" ? match[ref] : match.groups?.[ref]) ?? "";
      out += literals[i + 1]!;
    }
    return out;
  }
}
