import { Matcher as ModelMatcher } from "../../model/matcher.js";
import type {
  CompareOp,
  ExtractionParam,
  LabelFilter,
  LabelFormatOp,
  LabelMatcher,
  LabelSelection,
  LineFilterOp,
  LineFilterValue,
  LogQueryExpr,
  Stage,
  Unwrap,
} from "./ast.js";
import { TokenStream } from "./token-stream.js";
import { parseBytes, parseGoDurationSeconds } from "./units.js";

const LINE_FILTER_OPS = new Set<string>(["|=", "!=", "|~", "!~", "|>", "!>"]);
const MATCH_OPS = new Set<string>(["=", "!=", "=~", "!~"]);
const COMPARE_OPS = new Set<string>(["==", "=", "!=", ">", ">=", "<", "<="]);
const STAGE_KEYWORDS = new Set<string>([
  "json",
  "logfmt",
  "regexp",
  "pattern",
  "unpack",
  "line_format",
  "label_format",
  "drop",
  "keep",
  "decolorize",
  "unwrap",
]);

/** Parses log queries: the stream selector, pipeline stages, label filters and `unwrap`. */
export class LogQueryParser extends TokenStream {
  parseLogQuery(allowUnwrap: boolean): { log: LogQueryExpr; unwrap?: Unwrap } {
    const log: LogQueryExpr = { kind: "log", matchers: this.parseSelector(), pipeline: [] };
    return this.parsePipelineOnto(log, allowUnwrap);
  }

  parseSelector(): LabelMatcher[] {
    const open = this.expectOp("{");
    const matchers: LabelMatcher[] = [];
    while (!this.isOp("}")) {
      matchers.push(this.parseMatcher());
      if (!this.accept(",")) break;
    }
    this.expectOp("}");
    if (matchers.length === 0)
      throw this.error(open, "syntax error: unexpected }, expecting a label matcher");
    const nonEmpty = matchers.some((m) => !new ModelMatcher(m.op, m.name, m.value).matchesEmpty());
    if (!nonEmpty) {
      throw this.error(
        open,
        'a stream selector needs at least one matcher that does not match the empty string, e.g. app=~".+" rather than app=~".*"',
      );
    }
    return matchers;
  }

  parseMatcher(): LabelMatcher {
    const name = this.expectKind("ident", "a label name").text;
    const opTok = this.peek();
    if (opTok.kind !== "op" || !MATCH_OPS.has(opTok.text)) throw this.unexpected("=, !=, =~ or !~");
    this.next();
    const value = this.expectKind("string", "a string").value;
    const matcher: LabelMatcher = { name, op: opTok.text as LabelMatcher["op"], value };
    try {
      new ModelMatcher(matcher.op, name, value);
    } catch (err) {
      throw this.error(opTok, (err as Error).message);
    }
    return matcher;
  }

  /** Parses pipeline stages after `log`'s selector; `| unwrap` ends the stages (then only label filters). */
  parsePipelineOnto(log: LogQueryExpr, allowUnwrap: boolean): { log: LogQueryExpr; unwrap?: Unwrap } {
    const pipeline: Stage[] = [...log.pipeline];
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && LINE_FILTER_OPS.has(t.text) && this.startsLineFilterValue(1)) {
        pipeline.push(this.parseLineFilter());
        continue;
      }
      if (!this.isOp("|")) break;
      if (this.isIdent("unwrap", 1)) {
        if (!allowUnwrap) {
          throw this.error(this.peek(1), "unwrap is only allowed inside a range aggregation");
        }
        this.next();
        const unwrap = this.parseUnwrap();
        return { log: { ...log, pipeline }, unwrap };
      }
      this.next();
      pipeline.push(this.parseStage());
    }
    return { log: { ...log, pipeline } };
  }

  startsLineFilterValue(ahead: number): boolean {
    const t = this.peek(ahead);
    return t.kind === "string" || (t.kind === "ident" && t.text === "ip" && this.isOp("(", ahead + 1));
  }

  parseLineFilter(): Stage {
    const opTok = this.next();
    const op = opTok.text as LineFilterOp;
    const values: LineFilterValue[] = [this.parseLineFilterValue(op)];
    while (this.isIdent("or") && this.startsLineFilterValue(1)) {
      this.next();
      values.push(this.parseLineFilterValue(op));
    }
    return { kind: "lineFilter", op, values };
  }

  parseLineFilterValue(op: LineFilterOp): LineFilterValue {
    if (this.isIdent("ip")) {
      const ipTok = this.next();
      if (op !== "|=" && op !== "!=") throw this.error(ipTok, `ip() cannot be used with ${op}`);
      this.expectOp("(");
      const value = this.expectKind("string", "a string").value;
      this.expectOp(")");
      return { ip: true, value };
    }
    const tok = this.expectKind("string", "a string");
    const value = tok.value;
    if (op === "|~" || op === "!~") this.checkRegexp(tok, value, "line filter");
    return { ip: false, value };
  }

  parseStage(): Stage {
    const t = this.peek();
    if (t.kind === "ident" && STAGE_KEYWORDS.has(t.text)) {
      this.next();
      switch (t.text) {
        case "json":
          return { kind: "json", params: this.parseExtractionParams() };
        case "logfmt": {
          let strict = false;
          let keepEmpty = false;
          while (this.peek().kind === "flag") {
            const f = this.next();
            if (f.text === "--strict") strict = true;
            else if (f.text === "--keep-empty") keepEmpty = true;
            else throw this.error(f, `invalid logfmt flag ${f.text}: expecting --strict or --keep-empty`);
          }
          return { kind: "logfmt", strict, keepEmpty, params: this.parseExtractionParams() };
        }
        case "regexp": {
          const tok = this.expectKind("string", "a string");
          const regexp = tok.value;
          this.checkRegexp(tok, regexp, "regexp parser");
          return { kind: "regexp", regexp };
        }
        case "pattern":
          return { kind: "pattern", pattern: this.expectKind("string", "a string").value };
        case "unpack":
          return { kind: "unpack" };
        case "decolorize":
          return { kind: "decolorize" };
        case "line_format":
          return { kind: "lineFormat", template: this.expectKind("string", "a string").value };
        case "label_format":
          return { kind: "labelFormat", ops: this.parseLabelFormatOps() };
        case "drop":
          return { kind: "drop", labels: this.parseLabelSelections() };
        case "keep":
          return { kind: "keep", labels: this.parseLabelSelections() };
      }
    }
    return { kind: "labelFilter", filter: this.parseLabelFilter() };
  }

  parseExtractionParams(): ExtractionParam[] {
    const params: ExtractionParam[] = [];
    if (this.peek().kind !== "ident") return params;
    for (;;) {
      const label = this.expectKind("ident", "a label name").text;
      if (this.accept("=")) {
        params.push({ label, expression: this.expectKind("string", "a string").value });
      } else {
        params.push({ label });
      }
      if (!this.accept(",")) return params;
    }
  }

  parseLabelFormatOps(): LabelFormatOp[] {
    const ops: LabelFormatOp[] = [];
    const seen = new Set<string>();
    for (;;) {
      const dstTok = this.expectKind("ident", "a label name");
      if (seen.has(dstTok.text)) {
        throw this.error(dstTok, `label ${dstTok.text} is set twice in one label_format`);
      }
      seen.add(dstTok.text);
      this.expectOp("=");
      const v = this.peek();
      if (v.kind === "string") ops.push({ dst: dstTok.text, value: this.next().value, template: true });
      else
        ops.push({
          dst: dstTok.text,
          value: this.expectKind("ident", "a label name or a string").text,
          template: false,
        });
      if (!this.accept(",")) return ops;
    }
  }

  parseLabelSelections(): LabelSelection[] {
    const out: LabelSelection[] = [];
    for (;;) {
      const next = this.peek(1);
      if (next.kind === "op" && MATCH_OPS.has(next.text)) out.push({ matcher: this.parseMatcher() });
      else out.push({ name: this.expectKind("ident", "a label name").text });
      if (!this.accept(",")) return out;
    }
  }

  parseUnwrap(): Unwrap {
    this.next(); // `unwrap`
    let conversion: Unwrap["conversion"];
    const t = this.expectKind("ident", "a label name or duration(), duration_seconds(), bytes()");
    let label = t.text;
    if (this.isOp("(")) {
      if (t.text !== "duration" && t.text !== "duration_seconds" && t.text !== "bytes") {
        throw this.error(
          t,
          `invalid unwrap conversion ${t.text}: expecting duration, duration_seconds or bytes`,
        );
      }
      conversion = t.text;
      this.next();
      label = this.expectKind("ident", "a label name").text;
      this.expectOp(")");
    }
    const filters: LabelFilter[] = [];
    while (this.isOp("|")) {
      this.next();
      filters.push(this.parseLabelFilter());
    }
    return { label, ...(conversion === undefined ? {} : { conversion }), filters };
  }

  // ---- label filters: `or` < `and` (also `,` or juxtaposition), left-associative ----

  parseLabelFilter(): LabelFilter {
    return this.nested(() => this.parseLabelFilterInner());
  }

  parseLabelFilterInner(): LabelFilter {
    let left = this.parseLabelFilterAnd();
    let chain = 0;
    while (this.isIdent("or")) {
      this.next();
      this.checkDepth(++chain);
      left = { kind: "or", left, right: this.parseLabelFilterAnd() };
    }
    return left;
  }

  parseLabelFilterAnd(): LabelFilter {
    let left = this.parseLabelFilterPrimary();
    let chain = 0;
    for (;;) {
      if (this.isIdent("and") || this.isOp(",")) this.next();
      else if (!this.startsLabelFilterPrimary()) return left;
      this.checkDepth(++chain);
      left = { kind: "and", left, right: this.parseLabelFilterPrimary() };
    }
  }

  startsLabelFilterPrimary(): boolean {
    if (this.isOp("(")) return true;
    const next = this.peek(1);
    return (
      this.peek().kind === "ident" &&
      next.kind === "op" &&
      (MATCH_OPS.has(next.text) || COMPARE_OPS.has(next.text))
    );
  }

  parseLabelFilterPrimary(): LabelFilter {
    if (this.accept("(")) {
      const inner = this.parseLabelFilter();
      this.expectOp(")");
      return inner;
    }
    const name = this.expectKind("ident", "a label filter").text;
    const opTok = this.peek();
    if (opTok.kind !== "op" || !(MATCH_OPS.has(opTok.text) || COMPARE_OPS.has(opTok.text))) {
      throw this.unexpected("a comparison operator");
    }
    this.next();
    const v = this.peek();
    if ((opTok.text === "=" || opTok.text === "!=") && this.isIdent("ip") && this.isOp("(", 1)) {
      this.next();
      this.next();
      const value = this.expectKind("string", "a string").value;
      this.expectOp(")");
      return { kind: "ip", name, op: opTok.text, value };
    }
    if (v.kind === "string") {
      if (!MATCH_OPS.has(opTok.text)) throw this.unexpected("a number, a duration or bytes");
      const value = this.next().value;
      const matcher: LabelMatcher = { name, op: opTok.text as LabelMatcher["op"], value };
      try {
        new ModelMatcher(matcher.op, name, value);
      } catch (err) {
        throw this.error(opTok, (err as Error).message);
      }
      return { kind: "matcher", matcher };
    }
    if (!COMPARE_OPS.has(opTok.text)) throw this.unexpected("a string");
    const op: CompareOp = opTok.text === "=" ? "==" : (opTok.text as CompareOp);
    if (v.kind === "duration") {
      this.next();
      const value = parseGoDurationSeconds(v.text);
      if (value === undefined) throw this.error(v, `invalid duration ${v.text}`);
      return { kind: "duration", name, op, value, text: v.text };
    }
    if (v.kind === "bytes") {
      this.next();
      return { kind: "bytes", name, op, value: parseBytes(v.text), text: v.text };
    }
    if (v.kind === "number" || ((this.isOp("-") || this.isOp("+")) && this.peek(1).kind === "number")) {
      return { kind: "number", name, op, value: this.parseSignedNumber() };
    }
    throw this.unexpected("a string, a number, a duration or bytes");
  }
}
