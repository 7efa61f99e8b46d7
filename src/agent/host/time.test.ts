import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectTime } from "./time.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectTime", () => {
  it("exposes the clock in seconds and the kernel's clock sources", async () => {
    const fs = new NodeHostFs({ sysPath: join(TESTDATA, "sys") });
    const { samples } = toExposition(await collectTime(fs, () => 1718000000123));
    expect(samples.map((s) => [s.labels.toString(), s.value])).toEqual([
      ["node_time_seconds", 1718000000.123],
      ['node_time_clocksource_available_info{clocksource="tsc", device="0"}', 1],
      ['node_time_clocksource_available_info{clocksource="hpet", device="0"}', 1],
      ['node_time_clocksource_available_info{clocksource="acpi_pm", device="0"}', 1],
      ['node_time_clocksource_current_info{clocksource="tsc", device="0"}', 1],
    ]);
  });

  it("still reports the clock without sysfs", async () => {
    const empty = await mkdtemp(join(tmpdir(), "mirador-time-"));
    try {
      const { samples } = toExposition(await collectTime(new NodeHostFs({ sysPath: empty }), () => 5000));
      expect(samples.map((s) => [s.labels.toString(), s.value])).toEqual([["node_time_seconds", 5]]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
