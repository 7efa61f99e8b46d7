import { setFlagsFromString } from "node:v8";

/** Old-generation headroom the agent asks V8 for after each full collection, as a percentage. */
export const AGENT_HEAP_GROWING_PERCENT = 50;

/**
 * Gives V8's old generation fixed headroom for the agent's allocation pattern (ADR 10).
 *
 * The agent keeps a large, nearly constant heap (the scrape caches) and promotes almost nothing in
 * steady state. V8 sizes the next full-collection limit from how fast the program fills the old
 * generation compared with how fast the main thread marks; for such a program it picks its smallest
 * factor (1.1), and then the gap between the limit and the live heap is smaller than the young
 * generation, which makes V8 start concurrent marking again right after each collection: a full
 * mark-compact every 2–3 s, run on the worker threads, for the life of the process. Whether a start
 * falls into that depends on its first seconds, so the same agent used 0.05 or 0.095 cores from one
 * start to the next. A fixed factor of 1.5 keeps the gap larger than the young generation.
 *
 * Skipped when the operator set the flag (NODE_OPTIONS or node's arguments): theirs wins.
 */
export function tuneAgentHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? "",
): boolean {
  const chosen = (s: string) => /--heap[-_]growing[-_]percent/.test(s);
  if (execArgv.some(chosen) || chosen(nodeOptions)) return false;
  setFlagsFromString(`--heap-growing-percent=${AGENT_HEAP_GROWING_PERCENT}`);
  return true;
}
