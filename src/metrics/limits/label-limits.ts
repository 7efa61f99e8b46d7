import type { Labels } from "../../model/labels.js";
import type { IngestLimits, TenantLimits } from "./limits.js";

const utf8 = new TextEncoder();

/** Bytes of `s` in UTF-8, without allocating for ASCII. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length;
  return s.length;
}

/**
 * Why a series' labels break the tenant's label limits (count, name length, value length), as a
 * message naming the limit, the offending label and the setting to change; undefined when they don't.
 */
export function labelLimitProblem(labels: Labels, tenant: string, limits: TenantLimits): string | undefined {
  const l: IngestLimits = limits.for(tenant);
  if (l.max_label_names_per_series > 0 && labels.size > l.max_label_names_per_series) {
    return `series ${labels.toString()} has ${labels.size} labels, more than the limit of ${l.max_label_names_per_series}; raise ${limits.setting(tenant, "max_label_names_per_series")}`;
  }
  const p = labels.pairs;
  for (let i = 0; i < p.length; i += 2) {
    const name = p[i]!;
    const value = p[i + 1]!;
    if (l.max_label_name_length > 0 && utf8Length(name) > l.max_label_name_length) {
      return `label name ${JSON.stringify(name.slice(0, 64))}… is longer than the limit of ${l.max_label_name_length} bytes; raise ${limits.setting(tenant, "max_label_name_length")}`;
    }
    if (l.max_label_value_length > 0 && utf8Length(value) > l.max_label_value_length) {
      return `value of label ${JSON.stringify(name)} is longer than the limit of ${l.max_label_value_length} bytes (starts ${JSON.stringify(value.slice(0, 64))}); raise ${limits.setting(tenant, "max_label_value_length")}`;
    }
  }
  return undefined;
}
