import type { Exposition } from "../../model/sample.js";

/**
 * Something the agent collects from on every scrape interval: a target's URL, or a built-in
 * collector. `job` and `instance` become the series' target labels.
 */
export interface ScrapeTarget {
  readonly job: string;
  readonly instance: string;
  /** Extra target labels (static_configs labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Collects once; rejects on failure (the target is then `up 0`). */
  collect(signal: AbortSignal): Promise<Exposition>;
}
