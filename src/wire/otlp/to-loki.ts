/**
 * OTLP log records turned into a Loki push request, laid out the way Loki's own OTLP endpoint
 * (`/otlp/v1/logs`) lays them out with its default `otlp_config`, so that the same LogQL finds the
 * same lines here as there.
 *
 * Where each part of an OTLP record ends up:
 *
 * | OTLP                                          | Loki                                                         |
 * | --------------------------------------------- | ------------------------------------------------------------ |
 * | resource attribute named in the index list    | stream label, name sanitised (`k8s.pod.name` → `k8s_pod_name`) |
 * | (no non-empty `service.name`)                 | stream label `service_name`: the first indexed label whose name is in the discovery list, else `unknown_service` |
 * | any other resource attribute                  | structured metadata, name sanitised                          |
 * | scope attribute                               | structured metadata, name sanitised                          |
 * | scope name / version / dropped count (if set) | metadata `scope_name` / `scope_version` / `scope_dropped_attributes_count` |
 * | log record attribute                          | structured metadata, name sanitised                          |
 * | `observed_time_unix_nano` (both times set)    | metadata `observed_timestamp`, decimal ns                    |
 * | `severity_number` (not 0)                     | metadata `severity_number`, decimal                          |
 * | `severity_text` (not empty)                   | metadata `severity_text`                                     |
 * | `dropped_attributes_count` (not 0)            | metadata `dropped_attributes_count`                          |
 * | `flags` (not 0)                               | metadata `flags`, decimal                                    |
 * | `trace_id` / `span_id` (set, not all zero)    | metadata `trace_id` / `span_id`, lowercase hex               |
 * | `body`                                        | the line: strings as they are, maps and arrays as JSON, other scalars as text |
 * | `time_unix_nano`, else `observed_time_unix_nano`, else now | the entry's timestamp                           |
 * | `event_name`, schema URLs, resource dropped count | dropped                                                  |
 *
 * Details that decide exact output:
 * - Names are sanitised per attribute: every character outside `[A-Za-z0-9_]` becomes `_` (runs are not
 *   collapsed); a name starting with a digit gets `key_` in front, one starting with a single `_` gets
 *   `key`. A `__double__` prefix is kept.
 * - A map-valued attribute is flattened: each entry becomes its own label or metadata pair named
 *   `<parent>_<key>` (sanitised), recursively; an empty map produces nothing.
 * - Values are attribute text as `anyValueText` writes it (ints in decimal, bytes in base64, …).
 * - The index list is matched against the attribute key as sent, before sanitising.
 * - Whether a resource "has a service name" looks at its first `service.name` attribute even when
 *   `service.name` is not in the index list; then no `service_name` label is made up for it.
 * - Metadata order per entry: the record's own attributes and fields (in the table's order), then the
 *   resource's leftover attributes, then the scope's attributes and fields.
 * - Resources whose index labels come out the same share one stream; streams are in the order first
 *   seen, entries in the order sent. A resource with no records produces no stream.
 * - Timestamps keep Loki's reading of the unsigned wire value as a signed 64-bit count.
 */
import { formatStreamLabels, type PushEntry, type PushRequest, type PushStream } from "../loki/index.js";
import { anyValueText } from "./label-text.js";
import type { ExportLogsServiceRequest, LogRecord, LogsScope } from "./logs-types.js";
import type { AnyValue, KeyValue } from "./types.js";

/**
 * The resource attributes Loki indexes by default (`distributor.otlp_config.
 * default_resource_attributes_as_index_labels` as of Loki 3.4; 3.0–3.3 lacked
 * `deployment.environment.name`).
 */
export const DEFAULT_INDEX_LABEL_ATTRIBUTES: readonly string[] = [
  "service.name",
  "service.namespace",
  "service.instance.id",
  "deployment.environment",
  "deployment.environment.name",
  "cloud.region",
  "cloud.availability_zone",
  "k8s.cluster.name",
  "k8s.namespace.name",
  "k8s.pod.name",
  "k8s.container.name",
  "container.name",
  "k8s.replicaset.name",
  "k8s.deployment.name",
  "k8s.statefulset.name",
  "k8s.daemonset.name",
  "k8s.cronjob.name",
  "k8s.job.name",
];

/**
 * The index label names that stand in for `service_name` when a resource has no `service.name`
 * (Loki's `limits_config.discover_service_name` default).
 */
export const DEFAULT_DISCOVER_SERVICE_NAME: readonly string[] = [
  "service",
  "app",
  "application",
  "app_name",
  "name",
  "app_kubernetes_io_name",
  "container",
  "container_name",
  "k8s_container_name",
  "component",
  "workload",
  "job",
  "k8s_job_name",
];

/** The `service_name` of a resource with neither `service.name` nor a discovered stand-in. */
export const UNKNOWN_SERVICE = "unknown_service";

/** How OTLP logs are laid out as Loki streams; every field defaults to what Loki does by default. */
export interface OtlpLogsMapping {
  /** Resource attribute keys, as sent, that become stream labels. */
  readonly indexLabelAttributes?: readonly string[];
  /**
   * Label names that may supply `service_name` when `service.name` is missing or empty; empty turns
   * service name discovery off (no `service_name` label is then added).
   */
  readonly discoverServiceName?: readonly string[];
  /** The time, in ns since the Unix epoch, given to records that carry neither timestamp. */
  readonly nowNs?: () => bigint;
}

const SERVICE_NAME_ATTRIBUTE = "service.name";
const SERVICE_NAME_LABEL = "service_name";

const defaultNow = (): bigint => BigInt(Date.now()) * 1_000_000n;

/**
 * Lays out `req` as Loki push streams (see the table at the top of this file). Never throws on
 * content: label and metadata names and values are left for the push validator to judge.
 */
export function otlpLogsToPush(req: ExportLogsServiceRequest, mapping: OtlpLogsMapping = {}): PushRequest {
  const indexed = new Set(mapping.indexLabelAttributes ?? DEFAULT_INDEX_LABEL_ATTRIBUTES);
  const discover = new Set(mapping.discoverServiceName ?? DEFAULT_DISCOVER_SERVICE_NAME);
  const now = mapping.nowNs ?? defaultNow;
  const streams = new Map<string, PushStream>();
  for (const rl of req.resourceLogs) {
    const labels = new Map<string, string>();
    const resourceMetadata: [string, string][] = [];
    let hasServiceName = hasNonEmptyServiceName(rl.resource.attributes);
    for (const kv of rl.resource.attributes) {
      if (!indexed.has(kv.key)) {
        flatten(kv.key, kv.value, "", resourceMetadata);
        continue;
      }
      for (const [name, value] of flatten(kv.key, kv.value, "", [])) {
        labels.set(name, value);
        if (!hasServiceName && discover.has(name)) {
          labels.set(SERVICE_NAME_LABEL, value);
          hasServiceName = true;
        }
      }
    }
    if (!hasServiceName && discover.size > 0) labels.set(SERVICE_NAME_LABEL, UNKNOWN_SERVICE);

    let stream: PushStream | undefined;
    for (const sl of rl.scopeLogs) {
      if (sl.logRecords.length === 0) continue;
      if (stream === undefined) {
        const text = formatStreamLabels(labels);
        stream = streams.get(text);
        if (stream === undefined) {
          stream = { labels: text, entries: [] };
          streams.set(text, stream);
        }
      }
      const scopeMetadata = scopeFields(sl.scope);
      for (const lr of sl.logRecords) stream.entries.push(toEntry(lr, resourceMetadata, scopeMetadata, now));
    }
  }
  return { streams: [...streams.values()] };
}

/** Whether the first `service.name` attribute (the one Loki reads) has non-empty text. */
function hasNonEmptyServiceName(attributes: readonly KeyValue[]): boolean {
  const kv = attributes.find((a) => a.key === SERVICE_NAME_ATTRIBUTE);
  return kv !== undefined && anyValueText(kv.value) !== "";
}

function scopeFields(scope: LogsScope): [string, string][] {
  const out: [string, string][] = [];
  for (const kv of scope.attributes) flatten(kv.key, kv.value, "", out);
  if (scope.name !== "") out.push(["scope_name", scope.name]);
  if (scope.version !== "") out.push(["scope_version", scope.version]);
  if (scope.droppedAttributesCount !== 0) {
    out.push(["scope_dropped_attributes_count", String(scope.droppedAttributesCount)]);
  }
  return out;
}

function toEntry(
  lr: LogRecord,
  resourceMetadata: readonly [string, string][],
  scopeMetadata: readonly [string, string][],
  now: () => bigint,
): PushEntry {
  const md: [string, string][] = [];
  for (const kv of lr.attributes) flatten(kv.key, kv.value, "", md);
  if (lr.timeUnixNano !== 0n && lr.observedTimeUnixNano !== 0n) {
    md.push(["observed_timestamp", asInt64(lr.observedTimeUnixNano).toString()]);
  }
  if (lr.severityNumber !== 0) md.push(["severity_number", String(lr.severityNumber)]);
  if (lr.severityText !== "") md.push(["severity_text", lr.severityText]);
  if (lr.droppedAttributesCount !== 0)
    md.push(["dropped_attributes_count", String(lr.droppedAttributesCount)]);
  if (lr.flags !== 0) md.push(["flags", String(lr.flags)]);
  if (lr.traceId !== "") md.push(["trace_id", lr.traceId]);
  if (lr.spanId !== "") md.push(["span_id", lr.spanId]);
  for (const p of resourceMetadata) md.push([p[0], p[1]]);
  for (const p of scopeMetadata) md.push([p[0], p[1]]);
  const ts = lr.timeUnixNano !== 0n ? lr.timeUnixNano : lr.observedTimeUnixNano;
  const entry: PushEntry = {
    timestampNs: ts !== 0n ? asInt64(ts) : now(),
    line: anyValueText(lr.body),
  };
  if (md.length > 0) entry.structuredMetadata = md;
  return entry;
}

const INT64_LIMIT = 2n ** 63n;

/** An unsigned 64-bit count read as signed, as Go's `int64(uint64)` does; no new bigint when it fits. */
function asInt64(u: bigint): bigint {
  return u < INT64_LIMIT ? u : BigInt.asIntN(64, u);
}

/**
 * Appends the `[name, text]` pairs of one attribute to `out` and returns it: one pair, or for a map one
 * pair per leaf, named `<prefix>_<key>` all the way down.
 */
function flatten(key: string, value: AnyValue, prefix: string, out: [string, string][]): [string, string][] {
  const name = normalizeLabelName(prefix === "" ? key : `${prefix}_${key}`);
  if (value.kind === "kvlist") {
    for (const kv of value.values) flatten(kv.key, kv.value, name, out);
  } else {
    out.push([name, anyValueText(value)]);
  }
  return out;
}

/**
 * An attribute key as a Loki label name: every code point outside `[A-Za-z0-9_]` becomes `_`; then
 * `key_` goes in front of a leading digit and `key` in front of a single leading `_`. `""` stays `""`.
 */
export function normalizeLabelName(key: string): string {
  if (key === "") return key;
  let out = "";
  let from = 0;
  let i = 0;
  while (i < key.length) {
    const c = key.charCodeAt(i);
    if (isWordChar(c)) {
      i++;
      continue;
    }
    // A surrogate pair is one code point, so one `_`.
    const width = c >= 0xd800 && c <= 0xdbff && isLowSurrogate(key.charCodeAt(i + 1)) ? 2 : 1;
    out += `${key.slice(from, i)}_`;
    i += width;
    from = i;
  }
  out += key.slice(from);
  const first = out.charCodeAt(0);
  if (first >= 48 && first <= 57) return `key_${out}`;
  if (first === 95 && out.charCodeAt(1) !== 95) return `key${out}`;
  return out;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
