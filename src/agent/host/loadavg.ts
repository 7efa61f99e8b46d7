import { MetricFamilyOut } from "./family.js";
import { fields, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/** The 1, 5 and 15 minute load averages from `/proc/loadavg`; throws when the file is malformed. */
export function parseLoadavg(text: string): [number, number, number] {
  const f = fields(text.trim());
  const l1 = parseNum(f[0]);
  const l5 = parseNum(f[1]);
  const l15 = parseNum(f[2]);
  if (Number.isNaN(l1) || Number.isNaN(l5) || Number.isNaN(l15)) {
    throw new Error(`malformed /proc/loadavg: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return [l1, l5, l15];
}

/** The `loadavg` collector: `node_load1`, `node_load5`, `node_load15`. */
export async function collectLoadavg(fs: HostFs): Promise<MetricFamilyOut[]> {
  const [l1, l5, l15] = parseLoadavg(await fs.readProc("loadavg"));
  return [
    new MetricFamilyOut("node_load1", "gauge", "Load average over the last minute.").add(l1),
    new MetricFamilyOut("node_load5", "gauge", "Load average over the last 5 minutes.").add(l5),
    new MetricFamilyOut("node_load15", "gauge", "Load average over the last 15 minutes.").add(l15),
  ];
}
