import { MetricFamilyOut } from "./family.js";
import { fields, lines, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/** The 16 columns of `/proc/net/dev` in order: metric name suffix and HELP text. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ["receive_bytes", "Bytes received."],
  ["receive_packets", "Packets received."],
  ["receive_errs", "Receive errors the driver reported."],
  ["receive_drop", "Received packets dropped."],
  ["receive_fifo", "Receive FIFO buffer errors."],
  ["receive_frame", "Receive packet framing errors."],
  ["receive_compressed", "Compressed packets received."],
  ["receive_multicast", "Multicast frames received."],
  ["transmit_bytes", "Bytes transmitted."],
  ["transmit_packets", "Packets transmitted."],
  ["transmit_errs", "Transmit errors the driver reported."],
  ["transmit_drop", "Packets dropped while transmitting."],
  ["transmit_fifo", "Transmit FIFO buffer errors."],
  ["transmit_colls", "Collisions detected on the interface."],
  ["transmit_carrier", "Carrier losses while transmitting."],
  ["transmit_compressed", "Compressed packets transmitted."],
];

/** One interface's line of `/proc/net/dev`. */
export interface NetDevStats {
  /** Interface name (`eth0`). */
  readonly device: string;
  /** The 16 counters in column order (receive 8, transmit 8). */
  readonly values: Float64Array;
}

/**
 * The interface lines of `/proc/net/dev`. Header lines, lines with fewer than 16 numbers, bad numbers
 * and repeated interfaces are skipped.
 */
export function parseNetDev(text: string): NetDevStats[] {
  const out: NetDevStats[] = [];
  const seen = new Set<string>();
  for (const line of lines(text)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    if (device === "" || seen.has(device)) continue;
    const f = fields(line.slice(colon + 1));
    if (f.length < COLUMNS.length) continue;
    const values = new Float64Array(COLUMNS.length);
    let ok = true;
    for (let i = 0; i < COLUMNS.length; i++) {
      const n = parseNum(f[i]);
      if (Number.isNaN(n)) {
        ok = false;
        break;
      }
      values[i] = n;
    }
    if (!ok) continue;
    seen.add(device);
    out.push({ device, values });
  }
  return out;
}

/** The `netdev` collector: `node_network_{receive,transmit}_*_total{device}` from `/proc/net/dev`. */
export async function collectNetdev(fs: HostFs): Promise<MetricFamilyOut[]> {
  const devices = parseNetDev(await fs.readProc("net/dev"));
  const families = COLUMNS.map(
    ([suffix, help]) => new MetricFamilyOut(`node_network_${suffix}_total`, "counter", help, ["device"]),
  );
  for (const d of devices) {
    for (let i = 0; i < families.length; i++) families[i]!.add(d.values[i]!, d.device);
  }
  return families;
}
