/**
 * Loki's pattern expressions (`| pattern "<ip> - <_> <status>"` and `|> "<_> error <_>"`): literal
 * text and captures `<name>`; `<_>` captures nothing. A capture takes the text up to the next
 * literal's first occurrence (or the rest of the line when last, or when that literal is missing:
 * then the parser stops there). Matching starts at the line's start. The line filter form is
 * stricter: no capture may be empty and every literal must be found.
 */

type Node = { readonly literal: string } | { readonly capture: string };

/** A compiled pattern. */
export interface Pattern {
  /** Names of the named captures, in order (without `_`). */
  readonly names: readonly string[];
  /**
   * Parser form: returns the captured values in the order of {@link Pattern.names}; undefined when a
   * leading literal does not start the line. The text after a final literal is ignored; when the
   * literal after a capture is missing, that capture takes the rest of the line and the values so
   * far are returned (a prefix of the names), as Loki's parser does.
   */
  match(line: string): string[] | undefined;
  /**
   * Line filter form (`|>`, `!>`), as Loki tests a line: every literal is found in order (the first
   * at the line's start), no capture is empty, and the line ends with the last literal, or, when the
   * pattern ends with a capture, goes on after the last literal.
   */
  test(line: string): boolean;
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
    match(line: string): string[] | undefined {
      const out: string[] = [];
      let p = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if ("literal" in n) {
          if (!line.startsWith(n.literal, p)) return undefined;
          p += n.literal.length;
          continue;
        }
        const next = nodes[i + 1] as { literal: string } | undefined;
        const end = next === undefined ? line.length : line.indexOf(next.literal, p);
        if (end < 0) {
          if (n.capture !== "_") out.push(line.slice(p));
          return out;
        }
        if (n.capture !== "_") out.push(line.slice(p, end));
        p = end;
      }
      return out;
    },
    test(line: string): boolean {
      let p = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (!("literal" in n)) continue;
        const at = i === 0 ? (line.startsWith(n.literal) ? 0 : -1) : line.indexOf(n.literal, p);
        // Not found, or the capture before it would be empty.
        if (at < 0 || (i > 0 && at === p)) return false;
        p = at + n.literal.length;
      }
      const endsOnCapture = "capture" in nodes[nodes.length - 1]!;
      return endsOnCapture === p < line.length;
    },
  };
}
