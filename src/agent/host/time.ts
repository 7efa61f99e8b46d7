import { MetricFamilyOut } from "./family.js";
import { fields } from "./fields.js";
import type { HostFs } from "./host-fs.js";

const CLOCKSOURCE_DIR = "devices/system/clocksource";

/**
 * The `time` collector: `node_time_seconds` from the system clock, plus
 * `node_time_clocksource_{available,current}_info{clocksource,device}` from sysfs when it is readable
 * (their absence does not fail the collector). `now` is for tests.
 */
export async function collectTime(fs: HostFs, now: () => number = Date.now): Promise<MetricFamilyOut[]> {
  const seconds = new MetricFamilyOut("node_time_seconds", "gauge", "The host's clock, in Unix seconds.");
  seconds.add(now() / 1000);
  const available = new MetricFamilyOut(
    "node_time_clocksource_available_info",
    "gauge",
    "A clock source the kernel could use; always 1.",
    ["clocksource", "device"],
  );
  const current = new MetricFamilyOut(
    "node_time_clocksource_current_info",
    "gauge",
    "The clock source the kernel uses; always 1.",
    ["clocksource", "device"],
  );
  let entries: string[] = [];
  try {
    entries = await fs.listSys(CLOCKSOURCE_DIR);
  } catch {
    // No sysfs (or not this part of it): the clock itself is still worth reporting.
  }
  const devices = entries.filter((e) => e.startsWith("clocksource")).sort();
  const read = (dev: string, file: string) =>
    fs.readSys(`${CLOCKSOURCE_DIR}/${dev}/${file}`).then(
      (s) => s,
      () => "",
    );
  const texts = await Promise.all(
    devices.map((d) => Promise.all([read(d, "available_clocksource"), read(d, "current_clocksource")])),
  );
  for (let i = 0; i < devices.length; i++) {
    const device = devices[i]!.slice("clocksource".length);
    const [avail, cur] = texts[i]!;
    for (const cs of fields(avail.trim())) available.add(1, cs, device);
    const c = cur.trim();
    if (c !== "") current.add(1, c, device);
  }
  return [seconds, available, current];
}
