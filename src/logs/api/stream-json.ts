/** Log query results as Loki writes them in JSON (query responses and tail frames). */
import { Labels } from "../../model/labels.js";
import type { LogStreamResult } from "../engine/index.js";

/**
 * Streams as a JSON array, sorted by labels: `[{"stream":{…},"values":[["<ns>","line"],…]}]`, each
 * stream's values in the order given. Structured metadata is not written (it is in the labels).
 */
export function streamsJSON(streams: readonly LogStreamResult[]): string {
  const sorted = [...streams].sort((a, b) => Labels.compare(a.labels, b.labels));
  return JSON.stringify(
    sorted.map((s) => ({
      stream: s.labels.toRecord(),
      values: s.entries.map(([ts, line]) => [String(ts), line]),
    })),
  );
}
