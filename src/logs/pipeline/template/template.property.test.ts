import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTemplate, TemplateError, TemplateExecError } from "./index.js";

const FRAGMENTS = [
  "{{",
  "}}",
  "{{- ",
  " -}}",
  " ",
  ".",
  ".a",
  ".b",
  "$x",
  "$",
  ":=",
  "=",
  "|",
  "(",
  ")",
  ",",
  '"s"',
  "`r`",
  "'c'",
  "1",
  "-2",
  "3.5",
  "0x1f",
  "1e400",
  "true",
  "nil",
  "if",
  "else",
  "end",
  "range",
  "with",
  "break",
  "continue",
  "/*",
  "*/",
  "and",
  "or",
  "not",
  "eq",
  "lt",
  "len",
  "index",
  "printf",
  '"%d %s %5.2f %q %x"',
  "upper",
  "replace",
  "trunc",
  "substr",
  "regexReplaceAll",
  '"(a+"',
  '"a*"',
  "count",
  "repeat",
  "indent",
  "default",
  "fromJson",
  '"{\\"k\\":[1,2]}"',
  "date",
  '"2006-01-02 Z07:00"',
  "toDate",
  "toDateInZone",
  '"Europe/Berlin"',
  "unixToTime",
  "unixEpoch",
  "__line__",
  "__timestamp__",
  "div",
  "mod",
  "divf",
  "round",
  "bytes",
  "duration",
  "urldecode",
  "b64dec",
  "alignLeft",
  "max",
  "int",
  "float64",
  "slice",
  "text\n",
];

/** Errors a template may raise; anything else is a bug. */
function isTyped(e: unknown): boolean {
  return e instanceof TemplateError || e instanceof TemplateExecError;
}

describe("compileTemplate never fails beyond its typed errors", () => {
  it("on templates assembled from syntax fragments", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }),
        fc.dictionary(fc.constantFrom("a", "b", "c"), fc.string({ maxLength: 20 })),
        fc.string({ maxLength: 40 }),
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        (parts, labels, line, ts) => {
          const src = parts.join("");
          let run:
            | ((d: { labels: Record<string, string>; line: string; tsNs: bigint }) => string)
            | undefined;
          try {
            run = compileTemplate(src);
          } catch (e) {
            if (!(e instanceof TemplateError)) throw e;
            expect(e.offset).toBeGreaterThanOrEqual(0);
            expect(e.offset).toBeLessThanOrEqual(src.length);
            return;
          }
          try {
            expect(typeof run({ labels, line, tsNs: ts })).toBe("string");
          } catch (e) {
            if (!isTyped(e)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (src) => {
        try {
          compileTemplate(`{{${src}}}`)({ labels: { a: src }, line: src, tsNs: 0n });
        } catch (e) {
          if (!isTyped(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
