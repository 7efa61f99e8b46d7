/**
 * Go's `time.Time` as the template functions need it: an instant in Unix nanoseconds plus the
 * zone it is shown in (a fixed offset in seconds east of UTC and its abbreviation), formatted and
 * parsed with Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`).
 */
export class GoTime {
  constructor(
    /** Nanoseconds since the Unix epoch. */
    readonly ns: bigint,
    /** Offset of the zone in seconds east of UTC. */
    readonly offset = 0,
    /** Zone abbreviation (`UTC`); "" for a fixed offset without a name (printed as `+0200`). */
    readonly zone = "UTC",
  ) {}

  /** Go's zero time, January 1, year 1, 00:00:00 UTC. */
  static readonly ZERO = new GoTime(-62135596800n * 1_000_000_000n);

  /** Whole seconds since the epoch (Go's `Unix()`). */
  unix(): bigint {
    return floorDiv(this.ns, 1_000_000_000n);
  }

  /** As Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`. */
  toString(): string {
    return formatTime(this, "2006-01-02 15:04:05.999999999 -0700 MST");
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** English month names, as Go prints `January`; the first three letters are `Jan`. */
export const LONG_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
/** English weekday names from Sunday, as Go prints `Monday`; the first three letters are `Mon`. */
export const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** One piece of a layout: a literal or a standard token such as `2006` or `Z07:00`. */
export type Chunk = { lit: string } | { std: string };

const STD_PREFIXES = [
  "January",
  "Jan",
  "Monday",
  "Mon",
  "MST",
  "002",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "15",
  "1",
  "2006",
  "2",
  "__2",
  "_2",
  "3",
  "4",
  "5",
  "PM",
  "pm",
  "-07:00:00",
  "-070000",
  "-07:00",
  "-0700",
  "-07",
  "Z07:00:00",
  "Z070000",
  "Z07:00",
  "Z0700",
  "Z07",
];

const chunkCache = new Map<string, Chunk[]>();

/** Splits a layout into literals and Go's standard tokens. */
export function chunks(layout: string): Chunk[] {
  const cached = chunkCache.get(layout);
  if (cached !== undefined) return cached;
  const out: Chunk[] = [];
  let lit = "";
  let i = 0;
  outer: while (i < layout.length) {
    const c = layout[i]!;
    if ((c === "." || c === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      const d = layout[i + 1]!;
      let j = i + 1;
      while (layout[j] === d) j++;
      if (!/[0-9]/.test(layout[j] ?? "")) {
        if (lit) out.push({ lit });
        lit = "";
        out.push({ std: layout.slice(i, j) });
        i = j;
        continue;
      }
    }
    for (const p of STD_PREFIXES) {
      if (!layout.startsWith(p, i)) continue;
      // `Jan`/`Mon` only when not followed by a lower-case letter (Go: "Janet" is literal).
      if ((p === "Jan" || p === "Mon") && /[a-z]/.test(layout[i + p.length] ?? "")) continue;
      if (p === "_2" && layout.startsWith("_2006", i)) continue;
      if (lit) out.push({ lit });
      lit = "";
      out.push({ std: p });
      i += p.length;
      continue outer;
    }
    lit += c;
    i++;
  }
  if (lit) out.push({ lit });
  if (chunkCache.size < 1000) chunkCache.set(layout, out);
  return out;
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  wday: number;
  yday: number;
}

function fieldsOf(t: GoTime): Fields {
  const localNs = t.ns + BigInt(t.offset) * 1_000_000_000n;
  const sec = floorDiv(localNs, 1_000_000_000n);
  const nsec = Number(localNs - sec * 1_000_000_000n);
  const d = new Date(Number(sec) * 1000);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const startDate = new Date(start);
  startDate.setUTCFullYear(d.getUTCFullYear());
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
    nsec,
    wday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - startDate.getTime()) / 86_400_000) + 1,
  };
}

const pad = (n: number, w: number, ch = "0") => String(n).padStart(w, ch);

/** Formats `t` with a Go layout, as `Time.Format`. */
export function formatTime(t: GoTime, layout: string): string {
  if (Number(t.unix()) * 1000 > 8.64e15 || Number(t.unix()) * 1000 < -8.64e15) return t.ns.toString();
  const f = fieldsOf(t);
  let out = "";
  for (const c of chunks(layout)) {
    if ("lit" in c) {
      out += c.lit;
      continue;
    }
    const s = c.std;
    switch (s) {
      case "January":
        out += LONG_MONTHS[f.month - 1];
        break;
      case "Jan":
        out += LONG_MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case "Monday":
        out += LONG_DAYS[f.wday];
        break;
      case "Mon":
        out += LONG_DAYS[f.wday]!.slice(0, 3);
        break;
      case "MST":
        out += t.zone !== "" ? t.zone : offsetText(t.offset, "-0700");
        break;
      case "002":
        out += pad(f.yday, 3);
        break;
      case "__2":
        out += pad(f.yday, 3, " ");
        break;
      case "01":
        out += pad(f.month, 2);
        break;
      case "1":
        out += f.month;
        break;
      case "02":
        out += pad(f.day, 2);
        break;
      case "_2":
        out += pad(f.day, 2, " ");
        break;
      case "2":
        out += f.day;
        break;
      case "03":
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case "3":
        out += f.hour % 12 === 0 ? 12 : f.hour % 12;
        break;
      case "15":
        out += pad(f.hour, 2);
        break;
      case "04":
        out += pad(f.min, 2);
        break;
      case "4":
        out += f.min;
        break;
      case "05":
        out += pad(f.sec, 2);
        break;
      case "5":
        out += f.sec;
        break;
      case "06":
        out += pad(((f.year % 100) + 100) % 100, 2);
        break;
      case "2006":
        out += f.year < 0 ? `-${pad(-f.year, 4)}` : pad(f.year, 4);
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      default:
        if (s[0] === "." || s[0] === ",") {
          const digits = pad(f.nsec, 9).slice(0, s.length - 1);
          if (s[1] === "0") out += s[0] + digits;
          else {
            const trimmed = digits.replace(/0+$/, "");
            if (trimmed !== "") out += s[0] + trimmed;
          }
        } else if (s[0] === "Z" && t.offset === 0) out += "Z";
        else out += offsetText(t.offset, s);
    }
  }
  return out;
}

function offsetText(offset: number, std: string): string {
  const sign = offset < 0 ? "-" : "+";
  const a = Math.abs(offset);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor(a / 60) % 60, 2);
  const s = pad(a % 60, 2);
  const body = std.slice(1);
  if (body === "07") return sign + h;
  if (body === "0700") return sign + h + m;
  if (body === "07:00") return `${sign}${h}:${m}`;
  if (body === "070000") return sign + h + m + s;
  return `${sign}${h}:${m}:${s}`;
}
