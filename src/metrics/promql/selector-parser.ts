import { METRIC_NAME } from "../../model/labels.js";
import { Matcher, type MatchType } from "../../model/matcher.js";
import type { VectorSelector } from "./ast.js";
import type { PositionRange } from "./errors.js";
import type { Token, TokenKind } from "./lexer.js";
import { describe, type TokenStream } from "./token-stream.js";

/** Label matchers and label lists: the parts of PromQL that name labels. */

const MATCH_OPS: ReadonlySet<TokenKind> = new Set(["=", "!=", "=~", "!~"]);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `( label, … )` for by/without/on/ignoring/group_x; names may be quoted; a trailing comma is allowed. */
export function parseLabelList(ts: TokenStream, context: string): string[] {
  ts.expect("(", context);
  const out: string[] = [];
  for (;;) {
    const t = ts.next();
    if (t.kind === ")") return out;
    if (t.kind === "identifier" && LABEL_NAME.test(t.text)) out.push(t.text);
    else if (t.kind === "string") out.push(t.value);
    else ts.fail(t, `unexpected ${describe(t)} in ${context}, expected label`);
    const sep = ts.next();
    if (sep.kind === ")") return out;
    if (sep.kind !== ",") ts.fail(sep, `unexpected ${describe(sep)} in ${context}, expected "," or ")"`);
  }
}

/**
 * A vector selector: an optional metric name (already consumed as `nameTok`), then optional
 * `{matchers}`. A bare quoted string in the braces is the metric name. At least one matcher must
 * not match the empty string, unless `labelSelector` (the second argument of `info()`).
 */
export function parseSelector(
  ts: TokenStream,
  nameTok: Token | undefined,
  labelSelector = false,
): VectorSelector {
  let name = nameTok?.text ?? "";
  const start = nameTok ? nameTok.start : ts.peek().start;
  let end = nameTok ? nameTok.end : start;
  const matchers: Matcher[] = [];
  if (ts.peek().kind === "{") {
    ts.next();
    for (;;) {
      const t = ts.next();
      if (t.kind === "}") {
        end = t.end;
        break;
      }
      if (t.kind !== "identifier" && t.kind !== "string") {
        ts.fail(t, `unexpected ${describe(t)} in label matching, expected identifier or "}"`);
      }
      if (MATCH_OPS.has(ts.peek().kind)) {
        if (t.kind === "identifier" && !LABEL_NAME.test(t.text))
          ts.fail(t, `invalid label name ${JSON.stringify(t.text)}`);
        const op = ts.next();
        const v = ts.next();
        if (v.kind !== "string") ts.fail(v, `unexpected ${describe(v)} in label matching, expected string`);
        matchers.push(matcher(ts, op.kind as MatchType, t.value, v.value, { start: t.start, end: v.end }));
      } else if (t.kind === "string") {
        if (name !== "") {
          ts.fail(
            t,
            `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(t.value)}`,
          );
        }
        name = t.value;
      } else {
        const op = ts.peek();
        ts.fail(op, `unexpected ${describe(op)} in label matching, expected label matching operator`);
      }
      const sep = ts.next();
      if (sep.kind === "}") {
        end = sep.end;
        break;
      }
      if (sep.kind !== ",")
        ts.fail(sep, `unexpected ${describe(sep)} in label matching, expected "," or "}"`);
    }
  }
  const pos = { start, end };
  if (name !== "") {
    for (const m of matchers) {
      if (m.name === METRIC_NAME) {
        ts.failAt(
          pos,
          `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(m.value)}`,
        );
      }
    }
    matchers.push(new Matcher("=", METRIC_NAME, name));
  }
  if (!labelSelector && matchers.every((m) => m.matchesEmpty())) {
    ts.failAt(pos, "vector selector must contain at least one non-empty matcher");
  }
  return { type: "VectorSelector", name, matchers, offsetMs: 0, at: undefined, pos };
}

function matcher(ts: TokenStream, type: MatchType, name: string, value: string, pos: PositionRange): Matcher {
  try {
    return new Matcher(type, name, value);
  } catch (err) {
    return ts.failAt(pos, err instanceof Error ? err.message : String(err));
  }
}
