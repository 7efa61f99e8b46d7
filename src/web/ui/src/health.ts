import { ageSeconds } from "./format";

/** How recently a cluster pushed: ok under 60 s, stale under 5 min, down otherwise or never. */
export type Health = "ok" | "stale" | "down";

/** The health of a cluster last seen at `lastSeen` (ISO 8601 or null), as of `nowMs` (Unix ms). */
export function healthOf(lastSeen: string | null, nowMs: number): Health {
  const age = ageSeconds(lastSeen, nowMs);
  if (age === null) return "down";
  if (age < 60) return "ok";
  return age < 300 ? "stale" : "down";
}
