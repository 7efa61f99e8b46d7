import { useState } from "preact/hooks";
import { type ClusterSummary, type MatrixSeries, queryRange } from "./api";
import { QueryGraph } from "./QueryGraph";
import { stepFor, TIME_RANGES } from "./time-range";
import { usePolling } from "./usePolling";

const DEFAULT_QUERY = "up";
const REFRESH_MS = 15_000;

/** Props of {@link GraphPanel}. */
export interface GraphPanelProps {
  clusters: readonly ClusterSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
}

/** PromQL explorer for one cluster: query, range, and the resulting graph, refreshed every 15 s. */
export function GraphPanel({ clusters, selected, onSelect }: GraphPanelProps) {
  const [draft, setDraft] = useState(DEFAULT_QUERY);
  const [query, setQuery] = useState(DEFAULT_QUERY);
  const [rangeKey, setRangeKey] = useState(TIME_RANGES[0].key);
  const [runs, setRuns] = useState(0); // Bumped by "Run" so the same query runs again.
  // The last answer, with the step it was asked for, so it draws right while another range loads.
  const [result, setResult] = useState<{
    series: MatrixSeries[];
    step: number;
    start: number;
    end: number;
  } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const range = TIME_RANGES.find((r) => r.key === rangeKey) ?? TIME_RANGES[0];

  usePolling(
    async (signal) => {
      if (selected === null || query.trim() === "") {
        setResult(null);
        setError(null);
        setLoading(false);
        return;
      }
      const end = Math.floor(Date.now() / 1000);
      const start = end - range.seconds;
      const step = stepFor(range.seconds);
      setLoading(true);
      try {
        const series = await queryRange({ tenant: selected, signal }, { query, start, end, step });
        if (signal.aborted) return;
        setResult({ series, step, start, end });
        setError(null);
      } catch (e) {
        if (signal.aborted) return;
        setResult(null);
        setError(e instanceof Error ? e.message : String(e));
      } finally {
        if (!signal.aborted) setLoading(false);
      }
    },
    REFRESH_MS,
    [selected, query, range.seconds, runs],
  );

  const run = () => {
    setQuery(draft);
    setRuns((n) => n + 1);
  };

  return (
    <section class="card">
      <div class="card-head">
        <h2>Explore metrics</h2>
        {loading && <span class="muted">Loading…</span>}
      </div>
      <form
        class="controls"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <label class="field">
          <span>Cluster</span>
          <select
            data-testid="cluster-select"
            value={selected ?? ""}
            disabled={clusters.length === 0}
            onChange={(e) => onSelect(e.currentTarget.value)}
          >
            {clusters.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
              </option>
            ))}
          </select>
        </label>
        <label class="field grow">
          <span>PromQL</span>
          <input
            data-testid="query-input"
            class="mono"
            type="text"
            spellcheck={false}
            autocomplete="off"
            placeholder="e.g. up"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Range</span>
          <select
            data-testid="range-select"
            value={rangeKey}
            onChange={(e) => setRangeKey(e.currentTarget.value)}
          >
            {TIME_RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" data-testid="run-query" disabled={selected === null}>
          Run
        </button>
      </form>
      {error !== null && (
        <div class="error" role="alert" data-testid="query-error">
          {error}
        </div>
      )}
      {result !== null && (
        <p class="muted" data-testid="series-count">
          {result.series.length} series
        </p>
      )}
      {result !== null && result.series.length > 0 && (
        <QueryGraph series={result.series} step={result.step} start={result.start} end={result.end} />
      )}
      {result?.series.length === 0 && <p class="empty">No data for this query and range.</p>}
      {selected === null && <p class="empty">Select a cluster to graph its metrics.</p>}
    </section>
  );
}
