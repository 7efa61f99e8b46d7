import { translateRE2 } from "../../model/re2.js";

/** Compiles an RE2 pattern of a query into an unanchored JavaScript `RegExp` (`.` matches newline). */
export function compileRE2(pattern: string, what: string): RegExp {
  try {
    return new RegExp(translateRE2(pattern), "su");
  } catch (err) {
    throw new Error(
      `invalid regular expression ${JSON.stringify(pattern)} in ${what}: ${(err as Error).message}`,
    );
  }
}
