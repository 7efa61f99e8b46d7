/**
 * Loki's pattern expressions (`| pattern "<ip> - <_> <status>"` and `|> "<_> error <_>"`): literal
 * text and captures `<name>`; `<_>` captures nothing. A capture takes the text up to the next
 * literal's first occurrence (or the rest of the line when last). Matching starts at the line's start.
 */

type Node = { readonly literal: string } | { readonly capture: string };

/** A compiled pattern. */
export interface Pattern {
  /** Names of the named captures, in order (without `_`). */
  readonly names: readonly string[];
  /**
   * Matches `line`; returns the captured values in the order of {@link Pattern.names}, or undefined.
   * With `whole`, text left after a final literal makes the match fail (line filter); without it the
   * rest is ignored (parser).
   */
  match(line: string, whole: boolean): string[] | undefined;
}

const CAPTURE = /<(_|[A-Za-z_][A-Za-z0-9_]*)>/g;

/**
 * Compiles `text`. Throws when two captures follow each other, a name repeats, or (with
 * `needNamed`) no named capture exists.
 */
export function compilePattern(text: string, needNamed: boolean): Pattern {
  const nodes: Node[] = [];
  let last = 0;
  CAPTURE.lastIndex = 0;
  for (let m = CAPTURE.exec(text); m !== null; m = CAPTURE.exec(text)) {
    if (m.index > last) nodes.push({ literal: text.slice(last, m.index) });
    const prev = nodes[nodes.length - 1];
    if (prev !== undefined && "capture" in prev)
      throw new Error(`invalid pattern ${JSON.stringify(text)}: consecutive captures are not allowed`);
    nodes.push({ capture: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push({ literal: text.slice(last) });
  const names: string[] = [];
  for (const n of nodes) {
    if (!("capture" in n) || n.capture === "_") continue;
    if (names.includes(n.capture))
      throw new Error(`invalid pattern ${JSON.stringify(text)}: duplicate capture <${n.capture}>`);
    names.push(n.capture);
  }
  if (needNamed && names.length === 0)
    throw new Error(`invalid pattern ${JSON.stringify(text)}: at least one named capture is needed`);
  if (nodes.length === 0) throw new Error("invalid pattern: empty");
  return {
    names,
    match(line: string, whole: boolean): string[] | undefined {
      const out: string[] = [];
      let p = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if ("literal" in n) {
          if (!line.startsWith(n.literal, p)) return undefined;
          p += n.literal.length;
          continue;
        }
        const next = nodes[i + 1];
        let end: number;
        if (next === undefined) end = line.length;
        else {
          end = line.indexOf((next as { literal: string }).literal, p);
          if (end < 0) return undefined;
        }
        if (n.capture !== "_") out.push(line.slice(p, end));
        p = end;
      }
      if (whole && p !== line.length) return undefined;
      return out;
    },
  };
}
