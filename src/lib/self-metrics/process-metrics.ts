import { collectDefaultMetrics, type Registry } from "prom-client";

/**
 * prom-client exposes these gauges with a `_total` suffix, which Prometheus reserves for counters
 * (`promtool check metrics` flags them); we leave them out.
 */
const MISNAMED_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * Registers the standard process and Node.js runtime metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`, …) under their usual unprefixed
 * names, so existing dashboards work.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
}
