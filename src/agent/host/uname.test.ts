import { mkdtemp, rm } from "node:fs/promises";
import { hostname, machine, release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectUname, readUname } from "./uname.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectUname", () => {
  it("exposes node_uname_info with uname(2)'s six fields as labels", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectUname(fs));
    expect(samples).toHaveLength(1);
    expect(samples[0]!.value).toBe(1);
    expect(samples[0]!.labels.toRecord()).toEqual({
      __name__: "node_uname_info",
      sysname: "Linux",
      release: "6.8.0-45-generic",
      version: "#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024",
      machine: machine(),
      nodename: "edge-01",
      domainname: "(none)",
    });
    expect(metadata).toEqual([
      { name: "node_uname_info", type: "gauge", help: expect.any(String), unit: "" },
    ]);
  });

  it("falls back to node:os when /proc/sys/kernel is unreadable", async () => {
    const empty = await mkdtemp(join(tmpdir(), "mirador-uname-"));
    try {
      const u = await readUname(new NodeHostFs({ procPath: empty }));
      expect(u.release).toBe(release());
      expect(u.nodename).toBe(hostname());
      expect(u.domainname).toBe("(none)");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
