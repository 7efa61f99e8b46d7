import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { looksLikeCri, newCriScan, parseCriLine, scanCriLine } from "./cri.js";

const b = (s: string) => Buffer.from(s, "utf8");

describe("parseCriLine", () => {
  const ts = "2024-05-01T10:00:00.000000001Z";
  const tsNs = BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 1n;

  it.each([
    [`${ts} stdout F hello world`, "stdout", false, "hello world"],
    [`${ts} stderr P part `, "stderr", true, "part "],
    [`${ts} stdout F `, "stdout", false, ""],
    [`${ts} stdout F`, "stdout", false, ""],
    [`${ts} stdout F:x with tags`, "stdout", false, "with tags"],
    [`${ts} stdout F  two spaces`, "stdout", false, " two spaces"],
    [`${ts} stdout F ünïcödé ✓`, "stdout", false, "ünïcödé ✓"],
  ])("%s", (line, stream, partial, content) => {
    expect(parseCriLine(b(line))).toEqual({ ok: true, tsNs, stream, partial, content });
  });

  it.each([
    ["", "cri: no stream field"],
    ["hello world", "cri: bad timestamp"],
    [`${ts}`, "cri: no stream field"],
    [`${ts} stdin F x`, "cri: bad stream"],
    [`${ts} stdoutX F x`, "cri: bad stream"],
    [`${ts} stdout`, "cri: no tags"],
    [`${ts} stdout X x`, "cri: bad tag"],
    [`${ts} stdout FF x`, "cri: bad tag"],
  ])("malformed %j", (line, error) => {
    expect(parseCriLine(b(line))).toEqual({ ok: false, error, raw: line });
  });

  it("reads a range of a bigger buffer without looking outside it", () => {
    const buf = b(`junk\n${ts} stdout F abc\n${ts} stderr F def`);
    const start = 5;
    const end = buf.indexOf(10, start);
    expect(parseCriLine(buf, start, end)).toMatchObject({ ok: true, content: "abc", stream: "stdout" });
    expect(parseCriLine(buf, start, start + ts.length)).toMatchObject({ ok: false });
  });

  it("never throws and keeps malformed lines whole (fuzz)", () => {
    const piece = fc.oneof(
      fc.constantFrom(ts, " ", "stdout", "stderr", "P", "F", ":", "Z", "\u00e9", "2024-", "T10:00:00"),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const line = parts.join("").replaceAll("\n", " ");
        const r = parseCriLine(b(line));
        if (!r.ok) expect(r.raw).toBe(b(line).toString("utf8"));
        else expect(line.endsWith(r.content)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips what a runtime writes (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.constantFrom("stdout", "stderr"),
        fc.boolean(),
        fc.string().filter((s) => !s.includes("\n")),
        (d, extraNs, stream, partial, content) => {
          const iso = d.toISOString().replace("Z", `${String(extraNs).padStart(6, "0")}Z`);
          const r = parseCriLine(b(`${iso} ${stream} ${partial ? "P" : "F"} ${content}`));
          expect(r).toEqual({
            ok: true,
            tsNs: BigInt(d.getTime()) * 1_000_000n + BigInt(extraNs),
            stream,
            partial,
            content: b(content).toString("utf8"),
          });
        },
      ),
    );
  });
});

describe("scanCriLine", () => {
  const ts = "2024-05-01T10:00:00.123456789Z";
  const ms = Date.UTC(2024, 4, 1, 10) + 123;

  it.each([
    [`${ts} stdout F hello world`, "stdout", false, "hello world"],
    [`${ts} stderr P part `, "stderr", true, "part "],
    [`${ts} stdout F`, "stdout", false, ""],
    [`${ts} stdout F:x with tags`, "stdout", false, "with tags"],
    [`${ts} stdout F ünïcödé ✓`, "stdout", false, "ünïcödé ✓"],
  ])("%s", (line, stream, partial, content) => {
    const buf = b(`xx\n${line}\nyy`);
    const start = 3;
    const end = start + b(line).length;
    const out = newCriScan();
    expect(scanCriLine(buf, start, end, out)).toBe(true);
    expect(out).toEqual({ ms, subNs: 456_789, stream, partial, contentStart: expect.any(Number), error: "" });
    expect(buf.toString("utf8", out.contentStart, end)).toBe(content);
  });

  it("gives times before 1970 as floor milliseconds and a positive rest", () => {
    const line = b("1969-12-31T23:59:59.999999999Z stdout F x");
    const out = newCriScan();
    expect(scanCriLine(line, 0, line.length, out)).toBe(true);
    expect([out.ms, out.subNs]).toEqual([-1, 999_999]);
  });

  it.each([
    ["", "cri: no stream field"],
    ["hello world", "cri: bad timestamp"],
    [`${ts} stdin F x`, "cri: bad stream"],
    [`${ts} stdout`, "cri: no tags"],
    [`${ts} stdout X x`, "cri: bad tag"],
  ])("fails on %j with the reason", (line, error) => {
    const out = newCriScan();
    expect(scanCriLine(b(line), 0, b(line).length, out)).toBe(false);
    expect(out.error).toBe(error);
  });

  it("reuses one result object across calls", () => {
    const out = newCriScan();
    const l1 = b(`${ts} stderr P one`);
    const l2 = b(`${ts} stdout F two`);
    expect(scanCriLine(l1, 0, l1.length, out)).toBe(true);
    expect(scanCriLine(b("junk"), 0, 4, out)).toBe(false);
    expect(scanCriLine(l2, 0, l2.length, out)).toBe(true);
    expect(out).toMatchObject({ stream: "stdout", partial: false, error: "" });
  });

  it("does not look past the end of its range (no space inside it)", () => {
    const buf = b(`${ts}X stdout F x`);
    expect(scanCriLine(buf, 0, ts.length + 1, newCriScan())).toBe(false);
    expect(looksLikeCri(buf, 0, ts.length + 1)).toBe(false);
  });

  it("agrees with parseCriLine on any line (property)", () => {
    const piece = fc.oneof(
      fc.constantFrom(ts, " ", "stdout", "stderr", "P", "F", ":", "\u00e9"),
      fc.string(),
    );
    const out = newCriScan();
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (parts) => {
        const line = b(parts.join(""));
        const ok = scanCriLine(line, 0, line.length, out);
        const r = parseCriLine(line);
        expect(ok).toBe(r.ok);
        if (r.ok) {
          expect(BigInt(out.ms) * 1_000_000n + BigInt(out.subNs)).toBe(r.tsNs);
          expect([out.stream, out.partial, line.toString("utf8", out.contentStart)]).toEqual([
            r.stream,
            r.partial,
            r.content,
          ]);
        } else {
          expect(out.error).toBe(r.error);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
