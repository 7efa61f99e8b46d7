import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { type HostFs, NodeHostFs } from "./host-fs.js";
import { collectPressure, parsePressure } from "./pressure.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectPressure", () => {
  it("exposes PSI totals in seconds and leaves out a resource the kernel lacks", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectPressure(fs));
    const got = samples.map((s) => [s.labels.toString(), s.value] as const);
    expect(got.map(([name]) => name)).toEqual([
      "node_pressure_cpu_waiting_seconds_total",
      "node_pressure_io_waiting_seconds_total",
      "node_pressure_io_stalled_seconds_total",
      "node_pressure_memory_waiting_seconds_total",
      "node_pressure_memory_stalled_seconds_total",
    ]);
    const want = [123.456789, 45.678901, 34.56789, 1.234567, 0.987654];
    got.forEach(([, v], i) => {
      expect(v).toBeCloseTo(want[i]!, 9);
    });
    expect(metadata.every((m) => m.type === "counter")).toBe(true);
  });

  it("fails when there is no PSI at all", async () => {
    const empty = await mkdtemp(join(tmpdir(), "mirador-psi-"));
    try {
      await expect(collectPressure(new NodeHostFs({ procPath: empty }))).rejects.toThrow(/CONFIG_PSI/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("fails when PSI is switched off (reads fail with EOPNOTSUPP)", async () => {
    const off: HostFs = {
      rootPath: "/",
      readProc: () => Promise.reject(Object.assign(new Error("not supported"), { code: "EOPNOTSUPP" })),
      readSys: () => Promise.reject(new Error("unused")),
      listSys: () => Promise.reject(new Error("unused")),
      readRoot: () => Promise.reject(new Error("unused")),
      statfs: () => Promise.reject(new Error("unused")),
    };
    await expect(collectPressure(off)).rejects.toThrow(/not supported/);
  });
});

describe("parsePressure", () => {
  it("reads total= as microseconds and skips malformed lines", () => {
    expect(
      parsePressure(
        "some avg10=0.00 total=2500000\nfull avg10=1 total=abc\nhalf total=1\n\nfull total=500000\n",
      ),
    ).toEqual({ some: 2.5, full: 0.5 });
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("some", "full", "total=", "avg10=", " ", "\n", "12", "x", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parsePressure(text);
        },
      ),
    );
  });
});
