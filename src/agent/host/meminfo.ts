import { MetricFamilyOut } from "./family.js";
import { fields, lines, parseNum } from "./fields.js";
import type { HostFs } from "./host-fs.js";

/** One `/proc/meminfo` line as a metric: its node-exporter name and value (bytes for kB fields). */
export interface MeminfoField {
  /** `node_memory_MemTotal_bytes`, `node_memory_Active_anon_bytes`, `node_memory_HugePages_Total`. */
  readonly name: string;
  /** The field as the kernel names it (`Active(anon)`). */
  readonly field: string;
  /** Bytes when the line has a kB unit, else the bare number. */
  readonly value: number;
  /** Whether the line had a kB unit. */
  readonly bytes: boolean;
}

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Every well-formed `/proc/meminfo` line, named as node-exporter names it: `(` becomes `_`, `)` is
 * dropped, kB values become bytes with a `_bytes` suffix. Malformed lines, lines with another unit
 * and repeated fields are skipped.
 */
export function parseMeminfo(text: string): MeminfoField[] {
  const out: MeminfoField[] = [];
  const seen = new Set<string>();
  for (const line of lines(text)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    let key = "";
    let valid = true;
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 40) key += "_";
      else if (c === 41) continue;
      else if (isNameChar(c)) key += field[i];
      else {
        valid = false;
        break;
      }
    }
    if (!valid) continue;
    const rest = fields(line.slice(colon + 1));
    const n = parseNum(rest[0]);
    if (Number.isNaN(n) || rest.length > 2) continue;
    const bytes = rest.length === 2;
    if (bytes && rest[1] !== "kB") continue;
    const name = bytes ? `node_memory_${key}_bytes` : `node_memory_${key}`;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, field, value: bytes ? n * 1024 : n, bytes });
  }
  return out;
}

/** The `meminfo` collector: one gauge per `/proc/meminfo` line, `node_memory_<Field>[_bytes]`. */
export async function collectMeminfo(fs: HostFs): Promise<MetricFamilyOut[]> {
  const parsed = parseMeminfo(await fs.readProc("meminfo"));
  if (parsed.length === 0) throw new Error("no fields in /proc/meminfo");
  return parsed.map((m) =>
    new MetricFamilyOut(
      m.name,
      "gauge",
      m.bytes ? `${m.field} from /proc/meminfo, in bytes.` : `${m.field} from /proc/meminfo.`,
    ).add(m.value),
  );
}
