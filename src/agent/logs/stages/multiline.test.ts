import { describe, expect, it } from "vitest";
import { compilePipeline } from "./compile.js";
import { type Entry, newEntry } from "./entry.js";

const JAVA = [
  "2024-05-01 10:00:00.000 ERROR [main] c.e.App - request failed",
  "java.lang.IllegalStateException: boom",
  "\tat com.example.App.handle(App.java:42)",
  "\tat com.example.App.main(App.java:10)",
  "Caused by: java.io.IOException: disk",
  "\t... 2 more",
];
const PYTHON = [
  "2024-05-01 10:00:01,000 ERROR worker crashed",
  "Traceback (most recent call last):",
  '  File "/app/worker.py", line 12, in <module>',
  "    main()",
  '  File "/app/worker.py", line 8, in main',
  "    raise ValueError('bad')",
  "ValueError: bad",
];
const FIRSTLINE = "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}";

function entry(line: string, stream = "app", tsNs = 1n): Entry {
  return newEntry(line, tsNs, new Map([["pod", stream]]));
}

describe("multiline stage", () => {
  it("joins a Java stack trace, released by the next first line", () => {
    const p = compilePipeline([{ multiline: { firstline: FIRSTLINE } }]);
    const out: Entry[] = [];
    for (const [i, l] of JAVA.entries()) out.push(...p.process(entry(l, "app", BigInt(i + 1)), 1000));
    expect(out).toEqual([]);
    out.push(...p.process(entry("2024-05-01 10:00:02.000 INFO next", "app", 99n), 1001));
    expect(out).toHaveLength(1);
    expect(out[0]!.line).toBe(JAVA.join("\n"));
    expect(out[0]!.tsNs).toBe(1n); // the first line's time
    expect(p.flush(1002, true).map((e) => e.line)).toEqual(["2024-05-01 10:00:02.000 INFO next"]);
  });

  it("joins a Python traceback, released by max_wait_time at flush", () => {
    const p = compilePipeline([{ multiline: { firstline: FIRSTLINE, max_wait_time: "3s" } }]);
    for (const l of PYTHON) expect(p.process(entry(l), 10_000)).toEqual([]);
    expect(p.flush(12_999)).toEqual([]);
    const out = p.flush(13_000);
    expect(out.map((e) => e.line)).toEqual([PYTHON.join("\n")]);
    expect(p.flush(20_000)).toEqual([]);
  });

  it("the wait counts from the last line added", () => {
    const p = compilePipeline([{ multiline: { firstline: FIRSTLINE, max_wait_time: "1s" } }]);
    p.process(entry(PYTHON[0]!), 0);
    p.process(entry(PYTHON[1]!), 900);
    expect(p.flush(1500)).toEqual([]);
    expect(p.flush(1900)).toHaveLength(1);
  });

  it("keeps streams apart", () => {
    const p = compilePipeline([{ multiline: { firstline: FIRSTLINE } }]);
    p.process(entry(JAVA[0]!, "a"), 0);
    p.process(entry(PYTHON[0]!, "b"), 0);
    p.process(entry(JAVA[1]!, "a"), 0);
    p.process(entry(PYTHON[1]!, "b"), 0);
    const out = p.flush(0, true);
    expect(out.map((e) => [e.labels.get("pod"), e.line])).toEqual([
      ["a", `${JAVA[0]}\n${JAVA[1]}`],
      ["b", `${PYTHON[0]}\n${PYTHON[1]}`],
    ]);
  });

  it("max_lines starts a new block", () => {
    const p = compilePipeline([{ multiline: { firstline: "^START", max_lines: 3 } }]);
    const lines = ["START", "a", "b", "c", "d"];
    const out = lines.flatMap((l) => p.process(entry(l), 0));
    expect(out.map((e) => e.line)).toEqual(["START\na\nb"]);
    expect(p.flush(0, true).map((e) => e.line)).toEqual(["c\nd"]);
  });

  it("a continuation line with no open block starts one instead of being lost", () => {
    const p = compilePipeline([{ multiline: { firstline: "^START" } }]);
    expect(p.process(entry("orphan"), 0)).toEqual([]);
    expect(p.process(entry("START x"), 0).map((e) => e.line)).toEqual(["orphan"]);
  });

  it("released blocks go through the stages after multiline, also from flush", () => {
    const p = compilePipeline([
      { cri: {} },
      { multiline: { firstline: FIRSTLINE, max_wait_time: "1s" } },
      { regex: { expression: "^\\S+ \\S+ (?P<level>[A-Z]+)" } },
      { labels: { level: "" } },
    ]);
    const cri = (l: string) => entry(`2024-05-01T10:00:00Z stderr F ${l}`);
    for (const l of JAVA) expect(p.process(cri(l), 0)).toEqual([]);
    const out = p.flush(5000);
    expect(out).toHaveLength(1);
    expect(out[0]!.line).toBe(JAVA.join("\n"));
    expect(Object.fromEntries(out[0]!.labels)).toEqual({ pod: "app", stream: "stderr", level: "ERROR" });
  });
});
