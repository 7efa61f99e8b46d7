import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectStat, parseProcStat } from "./stat.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectStat", () => {
  it("exposes boot time, context switches, forks, interrupts and thread counts", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectStat(fs));
    expect(samples.map((s) => [s.labels.toString(), s.value])).toEqual([
      ["node_boot_time_seconds", 1718000000],
      ["node_context_switches_total", 98765432],
      ["node_forks_total", 123456],
      ["node_intr_total", 48215726],
      ["node_procs_running", 3],
      ["node_procs_blocked", 1],
    ]);
    expect(metadata.map((m) => m.type)).toEqual(["gauge", "counter", "counter", "counter", "gauge", "gauge"]);
  });
});

describe("parseProcStat", () => {
  it("skips malformed lines and leaves absent keys undefined", () => {
    expect(parseProcStat("ctxt\nctxt abc\nbtime 17\nprocesses  42\nintr\ngarbage line\n")).toEqual({
      bootTime: 17,
      forks: 42,
    });
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("intr", "ctxt", "btime", " ", "\n", "1", "x", "procs_running", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseProcStat(text);
        },
      ),
    );
  });
});
