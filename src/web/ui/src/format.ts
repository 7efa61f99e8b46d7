// Text shown to people: ages, rates, counts and series labels.

const decimals = [0, 1, 2].map((d) => new Intl.NumberFormat("en-US", { maximumFractionDigits: d }));

/** Seconds from `lastSeen` (ISO 8601) to `nowMs` (Unix ms), never negative; null if never seen. */
export function ageSeconds(lastSeen: string | null, nowMs: number): number | null {
  if (lastSeen === null) return null;
  const t = Date.parse(lastSeen);
  return Number.isNaN(t) ? null : Math.max(0, (nowMs - t) / 1000);
}

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago" or "never". */
export function formatAgo(lastSeen: string | null, nowMs: number): string {
  const age = ageSeconds(lastSeen, nowMs);
  if (age === null) return "never";
  const s = Math.floor(age);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A per-second rate with fewer decimals as it grows: "0.25", "12.5", "1,235". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "—";
  const a = Math.abs(perSecond);
  return (decimals[a >= 100 ? 0 : a >= 10 ? 1 : 2] ?? decimals[0]!).format(perSecond);
}

/** A whole count with thousands separators: "12,340". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? decimals[0]!.format(Math.round(n)) : "—";
}

/** A series in Prometheus form, labels sorted: `up{instance="y", job="x"}`. */
export function formatSeriesLabel(metric: Readonly<Record<string, string>>): string {
  const name = metric.__name__ ?? "";
  const labels = Object.keys(metric)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}="${escapeLabelValue(metric[k] ?? "")}"`);
  return labels.length === 0 && name !== "" ? name : `${name}{${labels.join(", ")}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
