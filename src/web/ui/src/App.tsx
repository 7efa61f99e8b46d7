import { useState } from "preact/hooks";
import { type ClusterSummary, fetchClusters } from "./api";
import { ClusterTable } from "./ClusterTable";
import { GraphPanel } from "./GraphPanel";
import { Header } from "./Header";
import { usePolling } from "./usePolling";

const CLUSTERS_REFRESH_MS = 5_000;

/** The whole page: header, fleet table, and a graph of one cluster's metrics. */
export function App() {
  const [clusters, setClusters] = useState<ClusterSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [picked, setPicked] = useState<string | null>(null);

  usePolling(
    async (signal) => {
      try {
        const list = await fetchClusters(signal);
        if (signal.aborted) return;
        setClusters(list);
        setError(null);
      } catch (e) {
        if (!signal.aborted) setError(e instanceof Error ? e.message : String(e));
      } finally {
        if (!signal.aborted) setNow(Date.now());
      }
    },
    CLUSTERS_REFRESH_MS,
    [],
  );

  // The picked cluster while it is still in the fleet, else the first one.
  const selected = clusters?.find((c) => c.id === picked)?.id ?? clusters?.[0]?.id ?? null;

  return (
    <>
      <Header />
      <main class="page">
        <ClusterTable clusters={clusters} error={error} now={now} selected={selected} onSelect={setPicked} />
        <GraphPanel clusters={clusters ?? []} selected={selected} onSelect={setPicked} />
      </main>
    </>
  );
}
