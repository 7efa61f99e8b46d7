// Typed calls to the seed's HTTP APIs. Every call checks the shape of what it gets back, so the
// components only ever see the types below.

/** One registered cluster as the fleet table shows it. */
export interface ClusterSummary {
  id: string;
  project: string;
  /** ISO 8601 time of the last push from the cluster's agent, or null if it never pushed. */
  lastSeen: string | null;
  samplesPerSecond: number;
  activeSeries: number;
}

/** One series of a Prometheus range query: its labels and `[unix seconds, value]` pairs in time order. */
export interface MatrixSeries {
  metric: Record<string, string>;
  /** Values are strings as Prometheus sends them: "1.5", "NaN", "+Inf", "-Inf". */
  values: [number, string][];
}

/** Parameters of a range query; times and step in seconds. */
export interface RangeQuery {
  query: string;
  start: number;
  end: number;
  step: number;
}

/** Who a request is for and how to cancel it. */
export interface RequestContext {
  /** Cluster id, sent as `X-Scope-OrgID`. */
  tenant: string;
  signal: AbortSignal;
}

/** A failed API call; the message is meant for the user. */
export class ApiError extends Error {
  override readonly name = "ApiError";
}

/** Lists the clusters of the fleet. */
export async function fetchClusters(signal: AbortSignal): Promise<ClusterSummary[]> {
  const body = await getJSON("/api/mirador/v1/fleet", { signal });
  const clusters = isRecord(body) ? body.clusters : undefined;
  if (!Array.isArray(clusters)) throw new ApiError("unexpected response: no clusters list");
  return clusters.map(parseCluster);
}

/** Runs a PromQL range query against one cluster's tenant. */
export async function queryRange(ctx: RequestContext, q: RangeQuery): Promise<MatrixSeries[]> {
  const params = new URLSearchParams({
    query: q.query,
    start: String(q.start),
    end: String(q.end),
    step: String(q.step),
  });
  const body = await getJSON(`/api/v1/query_range?${params}`, {
    signal: ctx.signal,
    headers: { "X-Scope-OrgID": ctx.tenant },
  });
  const data = prometheusData(body);
  if (data.resultType !== "matrix") throw new ApiError(`unexpected resultType ${String(data.resultType)}`);
  if (!Array.isArray(data.result)) throw new ApiError("unexpected response: no result list");
  return data.result.map(parseSeries);
}

/** Returns the seed's version, or null if it does not say. */
export async function fetchVersion(signal: AbortSignal): Promise<string | null> {
  const data = prometheusData(await getJSON("/api/v1/status/buildinfo", { signal }));
  return typeof data.version === "string" && data.version !== "" ? data.version : null;
}

async function getJSON(path: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(path, { ...init, headers: { Accept: "application/json", ...init.headers } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(
      `HTTP ${res.status} from ${path.split("?")[0]}: ${text.slice(0, 200) || res.statusText}`,
    );
  }
  if (!res.ok && !(isRecord(body) && body.status === "error")) {
    throw new ApiError(`HTTP ${res.status} from ${path.split("?")[0]}`);
  }
  return body;
}

// Unwraps a Prometheus API envelope, turning `status: "error"` into an ApiError with its text.
function prometheusData(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new ApiError("unexpected response: not an object");
  if (body.status === "error") {
    throw new ApiError(typeof body.error === "string" ? body.error : "query failed");
  }
  if (!isRecord(body.data)) throw new ApiError("unexpected response: no data");
  return body.data;
}

function parseCluster(raw: unknown): ClusterSummary {
  if (!isRecord(raw) || typeof raw.id !== "string") throw new ApiError("unexpected response: bad cluster");
  return {
    id: raw.id,
    project: typeof raw.project === "string" ? raw.project : "",
    lastSeen: typeof raw.lastSeen === "string" ? raw.lastSeen : null,
    samplesPerSecond: typeof raw.samplesPerSecond === "number" ? raw.samplesPerSecond : 0,
    activeSeries: typeof raw.activeSeries === "number" ? raw.activeSeries : 0,
  };
}

function parseSeries(raw: unknown): MatrixSeries {
  if (!isRecord(raw) || !isRecord(raw.metric) || !Array.isArray(raw.values)) {
    throw new ApiError("unexpected response: bad series");
  }
  const metric: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.metric)) metric[k] = String(v);
  const values = raw.values.map((p: unknown): [number, string] => {
    if (!Array.isArray(p) || typeof p[0] !== "number") throw new ApiError("unexpected response: bad sample");
    return [p[0], String(p[1])];
  });
  return { metric, values };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
