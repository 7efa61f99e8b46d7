import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectMeminfo, parseMeminfo } from "./meminfo.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectMeminfo", () => {
  it("exposes every /proc/meminfo line under node-exporter's name, kB as bytes", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectMeminfo(fs));
    const got = new Map(samples.map((s) => [s.labels.toString(), s.value]));
    expect(got.get("node_memory_MemTotal_bytes")).toBe(8038244 * 1024);
    expect(got.get("node_memory_MemAvailable_bytes")).toBe(5123456 * 1024);
    expect(got.get("node_memory_Active_anon_bytes")).toBe(1234567 * 1024);
    expect(got.get("node_memory_Inactive_file_bytes")).toBe(3187531 * 1024);
    expect(got.get("node_memory_NFS_Unstable_bytes")).toBe(0);
    expect(got.get("node_memory_VmallocTotal_bytes")).toBe(34359738367 * 1024);
    expect(got.get("node_memory_Hugepagesize_bytes")).toBe(2048 * 1024);
    expect(got.get("node_memory_HugePages_Total")).toBe(0);
    expect(got.has("node_memory_HugePages_Total_bytes")).toBe(false);
    expect(got.get("node_memory_DirectMap1G_bytes")).toBe(1048576 * 1024);

    const lineCount = (await readFile(join(TESTDATA, "proc/meminfo"), "utf8")).trim().split("\n").length;
    expect(samples).toHaveLength(lineCount);
    expect(metadata).toHaveLength(lineCount);
    for (const m of metadata) expect(m.type).toBe("gauge");
  });
});

describe("parseMeminfo", () => {
  it("skips lines it cannot name or read", () => {
    const got = parseMeminfo(
      [
        "MemTotal:  100 kB",
        "Bad name: 5 kB",
        "NoValue:",
        "NaN:   x kB",
        "Odd:   5 MB",
        "Extra:  5 kB more",
        "no colon 5",
        "MemTotal:  200 kB",
        "Weird(x)y:  3",
      ].join("\n"),
    );
    expect(got.map((m) => [m.name, m.value])).toEqual([
      ["node_memory_MemTotal_bytes", 102400],
      ["node_memory_Weird_xy", 3],
    ]);
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("Mem", "(", ")", ":", " ", "\n", "12", "kB", "x", "-", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseMeminfo(text);
        },
      ),
    );
  });
});
