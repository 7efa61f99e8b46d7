import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";
import { collectNetdev, parseNetDev } from "./netdev.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

describe("collectNetdev", () => {
  it("exposes the 16 /proc/net/dev counters per device", async () => {
    const fs = new NodeHostFs({ procPath: join(TESTDATA, "proc") });
    const { samples, metadata } = toExposition(await collectNetdev(fs));
    const got = new Map(samples.map((s) => [s.labels.toString(), s.value]));
    const eth0: [string, number][] = [
      ["receive_bytes", 987654321],
      ["receive_packets", 765432],
      ["receive_errs", 1],
      ["receive_drop", 2],
      ["receive_fifo", 3],
      ["receive_frame", 4],
      ["receive_compressed", 5],
      ["receive_multicast", 6],
      ["transmit_bytes", 123456789],
      ["transmit_packets", 543210],
      ["transmit_errs", 7],
      ["transmit_drop", 8],
      ["transmit_fifo", 9],
      ["transmit_colls", 10],
      ["transmit_carrier", 11],
      ["transmit_compressed", 12],
    ];
    for (const [suffix, want] of eth0) {
      expect(got.get(`node_network_${suffix}_total{device="eth0"}`), suffix).toBe(want);
    }
    expect(got.get('node_network_receive_bytes_total{device="lo"}')).toBe(5362132);
    expect(got.get('node_network_transmit_drop_total{device="docker0"}')).toBe(5);
    expect(samples).toHaveLength(3 * 16);
    expect(metadata.map((m) => m.name)).toEqual(eth0.map(([s]) => `node_network_${s}_total`));
    expect(metadata.every((m) => m.type === "counter")).toBe(true);
  });
});

describe("parseNetDev", () => {
  it("skips headers, short lines, bad numbers and repeated devices", () => {
    const ok = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
    const got = parseNetDev(
      [
        "Inter-|   Receive",
        " face |bytes packets",
        `eth0: ${ok}`,
        "eth1: 1 2 3",
        `eth2: ${ok.replace("5", "five")}`,
        `: ${ok}`,
        `eth0: ${ok}`,
        `wlan0:${ok} 17`,
      ].join("\n"),
    );
    expect(got.map((d) => d.device)).toEqual(["eth0", "wlan0"]);
    expect(got[1]!.values[15]).toBe(16);
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("eth0", ":", "|", " ", "\n", "12", "x", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseNetDev(text);
        },
      ),
    );
  });
});
