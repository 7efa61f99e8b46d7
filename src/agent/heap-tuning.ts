import { setFlagsFromString } from "node:v8";

/** Old-generation headroom the agent asks V8 for after each full collection, as a percentage. */
export const AGENT_HEAP_GROWING_PERCENT = 50;

/** V8's default growth factor of the young generation, given back by {@link releaseYoungGeneration}. */
const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

/** Whether {@link tuneAgentHeap} capped the young generation (and nothing released it since). */
let youngCapped = false;

/** What {@link tuneAgentHeap} set: each tuning is skipped when the operator chose its flags. */
export interface AgentHeapTuning {
  /** `--heap-growing-percent` (ADR 10). */
  readonly heapGrowing: boolean;
  /** `--semi-space-growth-factor=1`: the young generation keeps its initial size (ADR 16). */
  readonly youngGeneration: boolean;
  /** The native snappy module's allocator returns freed memory at once (ADR 17): the settings set. */
  readonly nativeAllocator: readonly string[];
}

/**
 * mimalloc settings for the allocator the native snappy module brings (ADR 17): freed memory goes
 * back to the system at once instead of after 10 ms or more, and memory is committed as it is used
 * rather than a segment at a time. mimalloc reads them when the module loads.
 */
export const AGENT_MIMALLOC_SETTINGS: Readonly<Record<string, string>> = {
  MIMALLOC_PURGE_DELAY: "0",
  MIMALLOC_EAGER_COMMIT: "0",
};

/**
 * Tunes V8's heap for the agent; `mirador agent` calls it first thing (bin/launch.js), before any
 * module loads, since one of the settings only holds if the young generation has not grown yet.
 *
 * - **Old generation** (ADR 10): a fixed growing factor of 1.5. The agent keeps a large, nearly
 *   constant heap (the scrape caches) and promotes almost nothing in steady state; V8's own choice
 *   for such a program (1.1) made it start concurrent marking again right after each collection, a
 *   full mark-compact every 2–3 s for the life of the process.
 * - **Young generation** (ADR 16): kept at its initial size (1 MiB semi-spaces) instead of growing to
 *   V8's 16 MiB ones. Shipping logs at 20 MB/s, V8 grows it to its maximum within seconds, and the
 *   34 MB of new space (with what it keeps alive outside the heap) is a third of the agent's memory;
 *   the log path allocates little per line, so the extra scavenges cost a few per cent of its CPU.
 *   Scraping allocates much more: an agent without logs gets V8's growth back once its
 *   configuration is read ({@link releaseYoungGeneration}). Only the growth factor can be set once
 *   the process runs; V8 reads it whenever it would grow.
 * - **The native snappy module's allocator** (ADR 17): {@link AGENT_MIMALLOC_SETTINGS}, set in the
 *   environment before the module loads. By default it kept 4–8 MB of compression buffers resident
 *   between requests.
 *
 * Each is skipped when the operator set its flags (NODE_OPTIONS or node's arguments) or, for the
 * allocator, the variable: theirs win.
 */
export function tuneAgentHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? "",
  env: NodeJS.ProcessEnv = process.env,
): AgentHeapTuning {
  const chosen = (re: RegExp) => execArgv.some((a) => re.test(a)) || re.test(nodeOptions);
  const heapGrowing = !chosen(/--heap[-_]growing[-_]percent/);
  if (heapGrowing) setFlagsFromString(`--heap-growing-percent=${AGENT_HEAP_GROWING_PERCENT}`);
  const youngGeneration = !chosen(/--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/);
  if (youngGeneration) setFlagsFromString("--semi-space-growth-factor=1");
  youngCapped = youngGeneration;
  const nativeAllocator: string[] = [];
  for (const [name, value] of Object.entries(AGENT_MIMALLOC_SETTINGS)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    nativeAllocator.push(name);
  }
  return { heapGrowing, youngGeneration, nativeAllocator };
}

/**
 * Lets V8 grow the young generation again, as it would by default, if {@link tuneAgentHeap} capped
 * it: for an agent that does not ship logs. Whether it did.
 */
export function releaseYoungGeneration(): boolean {
  if (!youngCapped) return false;
  setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
  youngCapped = false;
  return true;
}
