import { chunks, GoTime, LONG_DAYS, LONG_MONTHS } from "./go-time.js";

/** A string that does not match a layout; the message reads as Go's. */
export class TimeParseError extends Error {}

/**
 * Parses `value` with a Go layout, as `time.ParseInLocation`: without a zone in the value the
 * time is read in the zone `zoneOf` gives for it (offset in seconds, abbreviation).
 */
export function parseTime(
  layout: string,
  value: string,
  zoneOf: (localMs: number) => [number, string] = () => [0, "UTC"],
): GoTime {
  let v = value;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let zone = "";
  const fail = (): never => {
    throw new TimeParseError(
      `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(v)}`,
    );
  };
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^[0-9]{${min},${max}}`).exec(v);
    if (m === null) fail();
    v = v.slice(m![0].length);
    return Number(m![0]);
  };
  const word = (list: string[], len?: number): number => {
    for (let i = 0; i < list.length; i++) {
      const w = len === undefined ? list[i]! : list[i]!.slice(0, len);
      if (v.slice(0, w.length).toLowerCase() === w.toLowerCase()) {
        v = v.slice(w.length);
        return i;
      }
    }
    return fail();
  };
  const cs = chunks(layout);
  for (let ci = 0; ci < cs.length; ci++) {
    const c = cs[ci]!;
    if ("lit" in c) {
      if (!v.startsWith(c.lit)) fail();
      v = v.slice(c.lit.length);
      continue;
    }
    const s = c.std;
    switch (s) {
      case "January":
        month = word(LONG_MONTHS) + 1;
        break;
      case "Jan":
        month = word(LONG_MONTHS, 3) + 1;
        break;
      case "Monday":
        word(LONG_DAYS);
        break;
      case "Mon":
        word(LONG_DAYS, 3);
        break;
      case "MST": {
        const m = /^(UTC|GMT|[A-Z]{3,5})/.exec(v);
        if (m === null) fail();
        zone = m![0];
        v = v.slice(zone.length);
        if (zone === "UTC" || zone === "GMT") offset ??= 0;
        break;
      }
      case "01":
      case "1":
        month = s === "01" ? num(2, 2) : num(1, 2);
        break;
      case "02":
      case "2":
        day = s === "02" ? num(2, 2) : num(1, 2);
        break;
      case "_2":
        if (v[0] === " ") v = v.slice(1);
        day = num(1, 2);
        break;
      case "002":
      case "__2":
        num(1, 3);
        break;
      case "15":
        hour = num(1, 2);
        break;
      case "03":
      case "3":
        hour = s === "03" ? num(2, 2) : num(1, 2);
        break;
      case "04":
      case "4":
        min = s === "04" ? num(2, 2) : num(1, 2);
        break;
      case "05":
      case "5": {
        sec = s === "05" ? num(2, 2) : num(1, 2);
        const next = cs[ci + 1];
        const fracNext = next !== undefined && "std" in next && (next.std[0] === "." || next.std[0] === ",");
        if (!fracNext && /^[.,][0-9]/.test(v)) {
          const m = /^[.,]([0-9]+)/.exec(v)!;
          nsec = Number(m[1]!.slice(0, 9).padEnd(9, "0"));
          v = v.slice(m[0].length);
        }
        break;
      }
      case "06": {
        const y = num(2, 2);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case "2006":
        year = num(4, 4);
        break;
      case "PM":
      case "pm": {
        const m = /^(AM|PM)/i.exec(v);
        if (m === null) fail();
        pm = m![0].toUpperCase() === "PM";
        v = v.slice(2);
        break;
      }
      default:
        if (s[0] === "." || s[0] === ",") {
          const m = /^[.,]([0-9]+)/.exec(v);
          if (m === null) {
            if (s[1] === "9") break;
            fail();
          }
          if (s[1] === "0" && m![1]!.length !== s.length - 1) fail();
          nsec = Number(m![1]!.slice(0, 9).padEnd(9, "0"));
          v = v.slice(m![0].length);
        } else {
          if (s[0] === "Z" && v[0] === "Z") {
            v = v.slice(1);
            offset = 0;
            zone = "UTC";
            break;
          }
          const re: Record<string, RegExp> = {
            "07": /^([+-])(\d\d)/,
            "0700": /^([+-])(\d\d)(\d\d)/,
            "07:00": /^([+-])(\d\d):(\d\d)/,
            "070000": /^([+-])(\d\d)(\d\d)(\d\d)/,
            "07:00:00": /^([+-])(\d\d):(\d\d):(\d\d)/,
          };
          const m = re[s.slice(1)]!.exec(v);
          if (m === null) fail();
          const o = Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0);
          offset = m![1] === "-" ? -o : o;
          v = v.slice(m![0].length);
        }
    }
  }
  if (v !== "")
    throw new TimeParseError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(v)}`);
  if (pm !== undefined) {
    if (hour > 12) fail();
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  const dim = new Date(Date.UTC(2000, month, 0));
  dim.setUTCFullYear(year, month, 0);
  if (month < 1 || month > 12 || day < 1 || day > dim.getUTCDate() || hour > 23 || min > 59 || sec > 59) {
    throw new TimeParseError(`parsing time ${JSON.stringify(value)}: value out of range`);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  const localMs = d.getTime();
  if (offset === undefined) {
    let [o, name] = zoneOf(localMs);
    const [o2, name2] = zoneOf(localMs - o * 1000);
    if (o2 !== o) [o, name] = [o2, name2];
    offset = o;
    zone = name;
  } else if (zone === "" || zone === "UTC") zone = offset === 0 ? "UTC" : "";
  const ns = (BigInt(localMs) / 1000n - BigInt(offset)) * 1_000_000_000n + BigInt(nsec);
  return new GoTime(ns, offset, zone);
}
