import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectDiskstats, DEFAULT_DISK_DEVICES_EXCLUDE, parseDiskstats } from "./diskstats.js";
import { toExposition } from "./family.js";
import { NodeHostFs } from "./host-fs.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

// The udev database lives under run/udev/data, a path the repository's .gitignore hides, so the
// test writes it into a temporary host root.
const UDEV_SDA = `S:disk/by-id/ata-WDC_WD10EZEX-08WN4A0_WD-WCC6Y1234567
W:2
E:ID_ATA=1
E:ID_TYPE=disk
E:ID_MODEL=WDC_WD10EZEX-08WN4A0
E:ID_REVISION=01.01A01
E:ID_SERIAL=WDC_WD10EZEX-08WN4A0_WD-WCC6Y1234567
E:ID_SERIAL_SHORT=WD-WCC6Y1234567
E:ID_WWN=0x50014ee2b1234567
E:ID_PATH=pci-0000:00:17.0-ata-1
G:systemd
`;

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-diskstats-"));
  await mkdir(join(root, "run/udev/data"), { recursive: true });
  await writeFile(join(root, "run/udev/data/b8:0"), UDEV_SDA);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("collectDiskstats", () => {
  it("exposes per-disk counters in bytes and seconds, skipping partitions, loop and zram", async () => {
    const fs = new NodeHostFs({
      procPath: join(TESTDATA, "proc"),
      sysPath: join(TESTDATA, "sys"),
      rootPath: root,
    });
    const { samples, metadata } = toExposition(await collectDiskstats(fs));
    const got = new Map(samples.map((s) => [s.labels.toString(), s.value]));
    const devices = new Set(samples.map((s) => s.labels.get("device")));
    expect([...devices].sort()).toEqual(["dm-0", "nvme0n1", "sda"]);

    const sda: [string, number][] = [
      ["reads_completed_total", 123456],
      ["reads_merged_total", 2345],
      ["read_bytes_total", 9876543 * 512],
      ["read_time_seconds_total", 45.678],
      ["writes_completed_total", 234567],
      ["writes_merged_total", 34567],
      ["written_bytes_total", 19283746 * 512],
      ["write_time_seconds_total", 345.678],
      ["io_now", 2],
      ["io_time_seconds_total", 234.567],
      ["io_time_weighted_seconds_total", 391.356],
      ["discards_completed_total", 1234],
      ["discards_merged_total", 0],
      ["discarded_sectors_total", 567890],
      ["discard_time_seconds_total", 0.123],
      ["flush_requests_total", 4567],
      ["flush_requests_time_seconds_total", 0.89],
    ];
    for (const [suffix, want] of sda) {
      expect(got.get(`node_disk_${suffix}{device="sda"}`), suffix).toBeCloseTo(want, 9);
    }
    // A 4.18–5.4 kernel has no flush columns; a pre-4.18 one has no discard columns either.
    expect(got.get('node_disk_discards_completed_total{device="nvme0n1"}')).toBe(0);
    expect(got.has('node_disk_flush_requests_total{device="nvme0n1"}')).toBe(false);
    expect(got.get('node_disk_io_time_weighted_seconds_total{device="dm-0"}')).toBeCloseTo(2.532, 9);
    expect(got.has('node_disk_discards_completed_total{device="dm-0"}')).toBe(false);

    expect(
      got.get(
        'node_disk_info{device="sda", major="8", minor="0", model="WDC_WD10EZEX-08WN4A0", path="pci-0000:00:17.0-ata-1", revision="01.01A01", rotational="1", serial="WD-WCC6Y1234567", wwn="0x50014ee2b1234567"}',
      ),
    ).toBe(1);
    expect(got.get('node_disk_info{device="nvme0n1", major="259", minor="0", rotational="0"}')).toBe(1);
    expect(got.get('node_disk_info{device="dm-0", major="252", minor="0"}')).toBe(1);

    const types = new Map(metadata.map((m) => [m.name, m.type]));
    expect(types.get("node_disk_io_now")).toBe("gauge");
    expect(types.get("node_disk_info")).toBe("gauge");
    expect(types.get("node_disk_read_bytes_total")).toBe("counter");
  });
});

describe("DEFAULT_DISK_DEVICES_EXCLUDE", () => {
  it.each([
    ["ram0", true],
    ["zram1", true],
    ["loop12", true],
    ["fd0", true],
    ["sda1", true],
    ["vdb3", true],
    ["xvda1", true],
    ["nvme0n1p2", true],
    ["sda", false],
    ["nvme0n1", false],
    ["dm-0", false],
    ["md127", false],
    ["mmcblk0", false],
  ])("%s excluded: %s", (device, excluded) => {
    expect(DEFAULT_DISK_DEVICES_EXCLUDE.test(device)).toBe(excluded);
  });
});

describe("parseDiskstats", () => {
  it("skips short lines and bad numbers", () => {
    const got = parseDiskstats(
      [
        "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11",
        "   8       1 sda1 1 2 3 4",
        "   8       2 sdb 1 2 3 x 5 6 7 8 9 10 11",
        "",
        "   8       3 sdc 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
      ].join("\n"),
    );
    expect(got.map((d) => [d.device, d.values.length])).toEqual([
      ["sda", 11],
      ["sdc", 17],
    ]);
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("8", "0", "sda", " ", "\n", "12", "x", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseDiskstats(text);
        },
      ),
    );
  });
});
