/**
 * The zone lookup for Go's `time.LoadLocation(name)`: "UTC", "" and "Local" are UTC (the seed
 * runs in UTC); other names go through the IANA database of `Intl`. Undefined for unknown names.
 */
export function loadZone(name: string): ZoneLookup | undefined {
  if (zones.has(name)) return zones.get(name);
  const z = buildZone(name);
  if (zones.size < 256) zones.set(name, z);
  return z;
}

/** Offset in seconds east of UTC and abbreviation of a zone at an instant in Unix milliseconds. */
export type ZoneLookup = (utcMs: number) => [number, string];

const zones = new Map<string, ZoneLookup | undefined>();

function buildZone(name: string): ZoneLookup | undefined {
  if (name === "" || name === "UTC" || name === "Local") return () => [0, "UTC"];
  let fmt: Intl.DateTimeFormat;
  let gb: Intl.DateTimeFormat;
  try {
    gb = new Intl.DateTimeFormat("en-GB", { timeZone: name, timeZoneName: "short" });
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    });
  } catch {
    return undefined;
  }
  return (utcMs: number) => {
    const parts = fmt.formatToParts(new Date(utcMs));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const asUtc = Date.UTC(
      get("year"),
      get("month") - 1,
      get("day"),
      get("hour"),
      get("minute"),
      get("second"),
    );
    const offset = Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 1000);
    let abbr = parts.find((p) => p.type === "timeZoneName")?.value ?? "";
    if (!/^[A-Z]{3,5}$/.test(abbr))
      abbr = gb.formatToParts(new Date(utcMs)).find((p) => p.type === "timeZoneName")?.value ?? "";
    return [offset, /^[A-Z]{3,5}$/.test(abbr) && abbr !== "GMT" ? abbr : offset === 0 ? "UTC" : ""];
  };
}
