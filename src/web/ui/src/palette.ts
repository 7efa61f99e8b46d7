// Distinct line colours: a hand-picked set that reads well on white, then golden-angle hues.
const BASE = [
  "#2563eb",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#8b5cf6",
  "#06b6d4",
  "#ec4899",
  "#84cc16",
  "#f97316",
  "#64748b",
];

/** The colour of the `i`-th series (0-based); the same `i` always gets the same colour. */
export function seriesColor(i: number): string {
  return BASE[i] ?? `hsl(${Math.round((i * 137.508) % 360)} 70% 45%)`;
}
