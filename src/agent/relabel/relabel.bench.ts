import { cpuMsPerCall } from "../../lib/bench/cpu-time.js";
import { Labels } from "../../model/labels.js";
import type { RelabelConfig } from "./config.js";
import { compileRelabel, type RelabelProgram } from "./program.js";

/** Best of 8 rounds of 100 CPU ms after 50 warm-up calls. */
const RELABEL_TIMING = { ms: 800, rounds: 8, warmup: 50 };

/**
 * `npm run bench -- relabel`: relabel rules applied per second (of the process's CPU time, one
 * thread), on:
 *
 * - `k8s_pod_kept`: a typical `kubernetes-pods` job — 11 rules: keep on the scrape annotation, drop
 *   on `scrape_slow` and on finished pods, scheme, path and port from annotations (the port through
 *   a two-group regex), labelmap of pod labels and of `prometheus.io/param_*` annotations, and
 *   namespace, pod, node and container copied into short names — on pods of 36 labels as
 *   Kubernetes discovery gives them, all scraped;
 * - `k8s_pod_dropped`: the same rules on pods without the scrape annotation (dropped by the first rule);
 * - `metric_drop`: a `metric_relabel_configs` drop of `go_.*|process_.*` by name on 8-label series
 *   that it keeps (the common case).
 *
 * Figures: `<case>.ops_per_s` (label sets relabeled per second, the best of several rounds) and
 * `<case>.ns_per_op`, plus `k8s_pod_compile_us` (compiling the 11 rules). Nothing asserts a timing.
 */
export async function run(_args: string[] = []): Promise<Record<string, number>> {
  const podRules = compileRelabel(K8S_POD_RULES);
  const metricRules = compileRelabel([
    { source_labels: ["__name__"], regex: "go_.*|process_.*", action: "drop" },
  ]);
  const kept = Array.from({ length: 200 }, (_, i) => pod(i, true));
  const dropped = Array.from({ length: 200 }, (_, i) => pod(i, false));
  const series = Array.from({ length: 200 }, (_, i) => metricSeries(i));
  if (podRules.apply(kept[0]!) === undefined || podRules.apply(dropped[0]!) !== undefined)
    throw new Error("bench: the pod rules do not keep and drop as intended");

  const out: Record<string, number> = {};
  for (const [name, program, inputs] of [
    ["k8s_pod_kept", podRules, kept],
    ["k8s_pod_dropped", podRules, dropped],
    ["metric_drop", metricRules, series],
  ] as [string, RelabelProgram, Labels[]][]) {
    const ms = cpuMsPerCall(() => {
      let n = 0;
      for (const l of inputs) if (program.apply(l) !== undefined) n++;
      return n;
    }, RELABEL_TIMING);
    out[`${name}.ops_per_s`] = Math.round(inputs.length / (ms / 1000));
    out[`${name}.ns_per_op`] = Math.round((ms * 1e6) / inputs.length);
  }
  const compileMs = cpuMsPerCall(() => compileRelabel(K8S_POD_RULES).size, { ...RELABEL_TIMING, ms: 200 });
  out.k8s_pod_compile_us = Math.round(compileMs * 1000 * 10) / 10;
  return out;
}

/** The rules of a common `kubernetes-pods` scrape job (as in the Prometheus Helm chart, plus a few). */
const K8S_POD_RULES: RelabelConfig[] = [
  { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], action: "keep", regex: "true" },
  {
    source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape_slow"],
    action: "drop",
    regex: "true",
  },
  {
    source_labels: ["__meta_kubernetes_pod_phase"],
    regex: "Pending|Succeeded|Failed|Completed",
    action: "drop",
  },
  {
    source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"],
    regex: "(https?)",
    target_label: "__scheme__",
  },
  {
    source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
    regex: "(.+)",
    target_label: "__metrics_path__",
  },
  {
    source_labels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
    regex: "([^:]+)(?::\\d+)?;(\\d+)",
    replacement: "$1:$2",
    target_label: "__address__",
  },
  {
    action: "labelmap",
    regex: "__meta_kubernetes_pod_annotation_prometheus_io_param_(.+)",
    replacement: "__param_$1",
  },
  { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
  { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
  { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
  { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
  { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
];

/** The labels Kubernetes discovery gives one container port of pod `i` (36 of them). */
function pod(i: number, annotated: boolean): Labels {
  const name = `checkout-${(i * 7919).toString(36)}-${(i * 104729).toString(36).slice(-5)}`;
  const ip = `10.${(i >> 8) & 255}.${i & 255}.${(i * 13) & 255}`;
  const m = "__meta_kubernetes_";
  const record: Record<string, string> = {
    __address__: `${ip}:8080`,
    __metrics_path__: "/metrics",
    __scheme__: "http",
    __scrape_interval__: "15s",
    __scrape_timeout__: "10s",
    job: "kubernetes-pods",
    [`${m}namespace`]: `team-${i % 7}`,
    [`${m}pod_name`]: name,
    [`${m}pod_ip`]: ip,
    [`${m}pod_uid`]: `6f1c${i.toString(16).padStart(4, "0")}-3b1a-4e7c-9d2e-1a2b3c4d5e6f`,
    [`${m}pod_node_name`]: `node-${i % 12}`,
    [`${m}pod_host_ip`]: `192.168.0.${i % 12}`,
    [`${m}pod_ready`]: "true",
    [`${m}pod_phase`]: "Running",
    [`${m}pod_container_name`]: "app",
    [`${m}pod_container_id`]: `containerd://${(i * 2654435761).toString(16)}`,
    [`${m}pod_container_image`]: "registry.example.com/checkout:1.4.2",
    [`${m}pod_container_init`]: "false",
    [`${m}pod_container_port_name`]: "http-metrics",
    [`${m}pod_container_port_number`]: "8080",
    [`${m}pod_container_port_protocol`]: "TCP",
    [`${m}pod_controller_kind`]: "ReplicaSet",
    [`${m}pod_controller_name`]: name.slice(0, -6),
    [`${m}pod_label_app`]: "checkout",
    [`${m}pod_labelpresent_app`]: "true",
    [`${m}pod_label_app_kubernetes_io_name`]: "checkout",
    [`${m}pod_labelpresent_app_kubernetes_io_name`]: "true",
    [`${m}pod_label_app_kubernetes_io_version`]: "1.4.2",
    [`${m}pod_labelpresent_app_kubernetes_io_version`]: "true",
    [`${m}pod_label_pod_template_hash`]: name.slice(-11, -6),
    [`${m}pod_labelpresent_pod_template_hash`]: "true",
    [`${m}pod_annotation_prometheus_io_port`]: "9102",
    [`${m}pod_annotationpresent_prometheus_io_port`]: "true",
    [`${m}pod_annotation_prometheus_io_path`]: "/stats/prometheus",
    [`${m}pod_annotationpresent_prometheus_io_path`]: "true",
  };
  if (annotated) {
    record[`${m}pod_annotation_prometheus_io_scrape`] = "true";
    record[`${m}pod_annotationpresent_prometheus_io_scrape`] = "true";
  }
  return Labels.fromRecord(record);
}

/** A scraped series after target labels: name, job, instance, a few of its own. */
function metricSeries(i: number): Labels {
  const names = ["http_requests_total", "http_request_duration_seconds_bucket", "node_cpu_seconds_total"];
  return Labels.fromRecord({
    __name__: names[i % names.length]!,
    job: "kubernetes-pods",
    instance: `10.0.${i & 255}.7:9102`,
    namespace: "team-3",
    pod: `checkout-${i}`,
    method: i % 2 === 0 ? "GET" : "POST",
    code: "200",
    le: String(0.005 * 2 ** (i % 10)),
  });
}
