import type { ClusterSummary } from "./api";
import { formatAgo, formatCount, formatRate } from "./format";
import { type Health, healthOf } from "./health";

const HEALTH_TEXT: Record<Health, string> = {
  ok: "Healthy: pushed in the last minute",
  stale: "Late: no push for over a minute",
  down: "Down: no push for 5 minutes or more",
};

/** Props of {@link ClusterTable}. */
export interface ClusterTableProps {
  /** The fleet, or null until the first answer. */
  clusters: readonly ClusterSummary[] | null;
  /** The last refresh's error, shown above the (possibly older) rows. */
  error: string | null;
  /** Unix ms that ages and health are computed against. */
  now: number;
  selected: string | null;
  onSelect: (id: string) => void;
}

/** The fleet: one row per cluster with its health; clicking a row selects it for the graph. */
export function ClusterTable({ clusters, error, now, selected, onSelect }: ClusterTableProps) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>Clusters</h2>
        {clusters !== null && <span class="muted">{clusters.length} total</span>}
      </div>
      {error !== null && (
        <div class="error" role="alert" data-testid="clusters-error">
          Could not load clusters: {error}
        </div>
      )}
      <table class="clusters" data-testid="cluster-table">
        <thead>
          <tr>
            <th class="col-health">
              <span class="sr-only">Health</span>
            </th>
            <th>Cluster</th>
            <th>Project</th>
            <th>Last seen</th>
            <th class="num">Samples/s</th>
            <th class="num">Active series</th>
          </tr>
        </thead>
        <tbody>
          {clusters?.map((c) => {
            const health = healthOf(c.lastSeen, now);
            const isSelected = c.id === selected;
            return (
              <tr
                key={c.id}
                data-cluster={c.id}
                class={isSelected ? "selected" : undefined}
                aria-selected={isSelected}
                tabIndex={0}
                onClick={() => onSelect(c.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(c.id);
                  }
                }}
              >
                <td class="col-health">
                  <span
                    class={`dot dot-${health}`}
                    data-health={health}
                    title={HEALTH_TEXT[health]}
                    role="img"
                    aria-label={HEALTH_TEXT[health]}
                  />
                </td>
                <td class="mono">{c.id}</td>
                <td>{c.project}</td>
                <td title={c.lastSeen ?? "never"}>{formatAgo(c.lastSeen, now)}</td>
                <td class="num">{formatRate(c.samplesPerSecond)}</td>
                <td class="num">{formatCount(c.activeSeries)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {clusters === null && error === null && <p class="empty">Loading clusters…</p>}
      {clusters?.length === 0 && <p class="empty">No clusters registered yet.</p>}
    </section>
  );
}
