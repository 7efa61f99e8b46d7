import { createHash } from "node:crypto";

/**
 * How far a scrape's timestamp may be from its scheduled slot and still be stored as the slot, as
 * Prometheus's `--scrape.timestamp-tolerance` does (2 ms there; Node's timers fire a few ms late under
 * load). Regular timestamps compress to about half the bytes in XOR chunks.
 */
export const TIMESTAMP_TOLERANCE_MS = 10;

/** Milliseconds from `now` to the next slot (a time with `t % interval === offset`), never 0. */
export function untilNextSlot(now: number, intervalMs: number, offsetMs: number): number {
  const sinceSlot = (((now - offsetMs) % intervalMs) + intervalMs) % intervalMs;
  return intervalMs - sinceSlot;
}

/** `now` snapped to the nearest scheduled slot when within `toleranceMs` of it, else `now`. */
export function alignToSchedule(
  now: number,
  intervalMs: number,
  offsetMs: number,
  toleranceMs: number,
): number {
  const slot = now - ((((now - offsetMs) % intervalMs) + intervalMs) % intervalMs);
  if (now - slot <= toleranceMs) return slot;
  if (slot + intervalMs - now <= toleranceMs) return slot + intervalMs;
  return now;
}

/**
 * A target's phase in [0, intervalMs): a hash of its key and the agent's identity (Prometheus uses
 * the target's label hash and a seed from the external labels and host name), rounded down to a
 * multiple of `alignMs` when that is positive (`scrape_alignment`, docs/adr/0009-scrape-alignment.md).
 * Stable across restarts, so a target keeps its phase, and different across agents, so two agents
 * scraping the same target do not hit it at the same instant.
 */
export function scrapeOffset(key: string, identity: string, intervalMs: number, alignMs = 0): number {
  const digest = createHash("sha256").update(identity).update("\xff").update(key).digest();
  const phase = digest.readUInt32BE(0) % Math.max(1, intervalMs);
  return alignMs > 0 ? phase - (phase % alignMs) : phase;
}
