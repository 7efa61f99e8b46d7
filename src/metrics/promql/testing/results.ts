import { newCtx } from "../../../model/context.js";
import type { QueryResult } from "../result.js";
import { MemoryQueryable } from "./memory-queryable.js";

/** Shorthands for engine tests: time units, a context, and result views that are easy to compare. */

/** One second, ms. */
export const S = 1000;
/** One minute, ms. */
export const M = 60 * S;
/** A context for tenant "test" with no deadline. */
export const ctx = newCtx(["test"]);

/** An instant vector result as `labels text → value`. */
export function vec(r: QueryResult): Record<string, number> {
  if (r.resultType !== "vector") throw new Error(`want a vector, got ${r.resultType}`);
  return Object.fromEntries(r.series.map((s) => [String(s.labels), s.v]));
}

/** A matrix result as `labels text → [t, v][]`. */
export function mat(r: QueryResult): Record<string, [number, number][]> {
  if (r.resultType !== "matrix") throw new Error(`want a matrix, got ${r.resultType}`);
  return Object.fromEntries(
    r.series.map((s) => [String(s.labels), Array.from(s.ts, (t, i) => [t, s.vs[i]!] as [number, number])]),
  );
}

/** The label sets of an instant vector result, in result order. */
export function order(r: QueryResult): string[] {
  if (r.resultType !== "vector") throw new Error("want a vector");
  return r.series.map((s) => String(s.labels));
}

/**
 * Request counters every 15 s for 10 minutes: instance 0 grows 10 per scrape; instance 1 grows
 * 20 per scrape and resets to 0 after 5 minutes.
 */
export function requests(): MemoryQueryable {
  const q = new MemoryQueryable();
  for (let i = 0; i <= 40; i++) {
    q.add({ __name__: "http_requests_total", job: "api", instance: "0" }, i * 15 * S, i * 10);
    q.add(
      { __name__: "http_requests_total", job: "api", instance: "1" },
      i * 15 * S,
      i <= 20 ? i * 20 : (i - 20) * 20,
    );
  }
  return q;
}
