import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectLoadavg, parseLoadavg } from "./loadavg.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectLoadavg", () => {
  it("exposes the three load averages as gauges", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectLoadavg(fs));
    expect(samples.map((s) => [s.labels.toString(), s.value])).toEqual([
      ["node_load1", 0.52],
      ["node_load5", 0.58],
      ["node_load15", 0.59],
    ]);
    expect(metadata.every((m) => m.type === "gauge")).toBe(true);
  });
});

describe("parseLoadavg", () => {
  it.each(["", "0.1 0.2", "a b c 1/2 3", "\n"])("rejects %j with an error", (text) => {
    expect(() => parseLoadavg(text)).toThrow(/malformed \/proc\/loadavg/);
  });
});
