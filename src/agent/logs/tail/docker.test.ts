import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDockerLine } from "./docker.js";

const b = (s: string) => Buffer.from(s, "utf8");

describe("parseDockerLine", () => {
  const time = "2024-05-01T10:00:00.5Z";
  const tsNs = BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 500_000_000n;

  it.each([
    [{ log: "hello\n", stream: "stdout", time }, "stdout", false, "hello"],
    [{ log: "part", stream: "stderr", time }, "stderr", true, "part"],
    [{ log: "\n", stream: "stdout", time }, "stdout", false, ""],
    [{ log: 'a\\b\t"q"\n', stream: "stdout", time, attrs: { x: 1 } }, "stdout", false, 'a\\b\t"q"'],
  ])("%j", (rec, stream, partial, content) => {
    expect(parseDockerLine(b(JSON.stringify(rec)))).toEqual({ ok: true, tsNs, stream, partial, content });
  });

  it.each([
    ["{", "docker: not JSON"],
    ["42", "docker: not an object"],
    ["null", "docker: not an object"],
    [JSON.stringify({ stream: "stdout", time }), "docker: no log field"],
    [JSON.stringify({ log: "x\n", stream: "tty", time }), "docker: bad stream"],
    [JSON.stringify({ log: "x\n", stream: "stdout" }), "docker: no time field"],
    [JSON.stringify({ log: "x\n", stream: "stdout", time: "yesterday" }), "docker: bad time"],
  ])("malformed %s", (line, error) => {
    expect(parseDockerLine(b(line))).toEqual({ ok: false, error, raw: line });
  });

  it("never throws (fuzz)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.record({ log: fc.anything(), stream: fc.anything(), time: fc.anything() }).map((o) => {
            try {
              return JSON.stringify(o) ?? "";
            } catch {
              return "";
            }
          }),
        ),
        (line) => {
          const r = parseDockerLine(b(line));
          if (!r.ok) expect(r.raw).toBe(b(line).toString("utf8"));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
