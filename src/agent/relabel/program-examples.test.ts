// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import { describe, expect, it } from "vitest";
import { type Outcome, relabel } from "./relabel.testlib.js";

/** Labels of a pod target as Kubernetes discovery names them (the subset the examples below use). */
const POD = {
  __address__: "10.1.2.3:8080",
  __meta_kubernetes_namespace: "shop",
  __meta_kubernetes_pod_name: "cart-7d9f-abcde",
  __meta_kubernetes_pod_label_app: "cart",
  __meta_kubernetes_pod_label_tier: "backend",
  __meta_kubernetes_pod_annotation_example_io_should_be_scraped: "true",
  __meta_kubernetes_pod_annotation_example_io_metric_path: "/stats",
  __meta_kubernetes_pod_annotation_example_io_scrape_port: "9102",
  job: "kubernetes-pods",
};

describe("examples from Prometheus's documentation", () => {
  // documentation/examples/prometheus-kubernetes.yml and the <relabel_config> section of
  // docs/configuration/configuration.md.
  it.each<[string, string, Record<string, string>, Outcome]>([
    [
      "apiservers: keep only default/kubernetes on port https",
      `
- source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_service_name, __meta_kubernetes_endpoint_port_name]
  action: keep
  regex: default;kubernetes;https`,
      {
        __address__: "10.0.0.1:6443",
        __meta_kubernetes_namespace: "default",
        __meta_kubernetes_service_name: "kubernetes",
        __meta_kubernetes_endpoint_port_name: "https",
      },
      {
        __address__: "10.0.0.1:6443",
        __meta_kubernetes_namespace: "default",
        __meta_kubernetes_service_name: "kubernetes",
        __meta_kubernetes_endpoint_port_name: "https",
      },
    ],
    [
      "apiservers: another service is dropped",
      `
- source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_service_name, __meta_kubernetes_endpoint_port_name]
  action: keep
  regex: default;kubernetes;https`,
      {
        __meta_kubernetes_namespace: "default",
        __meta_kubernetes_service_name: "kubernetes",
        __meta_kubernetes_endpoint_port_name: "http",
      },
      "dropped",
    ],
    [
      "nodes: labelmap of node labels",
      `
- action: labelmap
  regex: __meta_kubernetes_node_label_(.+)`,
      {
        __address__: "10.0.0.7:10250",
        __meta_kubernetes_node_label_kubernetes_io_arch: "amd64",
        __meta_kubernetes_node_label_topology_kubernetes_io_zone: "eu-1a",
        __meta_kubernetes_node_name: "node-7",
      },
      {
        __address__: "10.0.0.7:10250",
        __meta_kubernetes_node_label_kubernetes_io_arch: "amd64",
        __meta_kubernetes_node_label_topology_kubernetes_io_zone: "eu-1a",
        __meta_kubernetes_node_name: "node-7",
        kubernetes_io_arch: "amd64",
        topology_kubernetes_io_zone: "eu-1a",
      },
    ],
    [
      "service endpoints: labelmap and two replaces",
      `
- action: labelmap
  regex: __meta_kubernetes_service_label_(.+)
- source_labels: [__meta_kubernetes_namespace]
  action: replace
  target_label: kubernetes_namespace
- source_labels: [__meta_kubernetes_service_name]
  action: replace
  target_label: kubernetes_name`,
      {
        __address__: "10.1.0.5:9100",
        __meta_kubernetes_namespace: "monitoring",
        __meta_kubernetes_service_name: "node-exporter",
        __meta_kubernetes_service_label_app: "node-exporter",
      },
      {
        __address__: "10.1.0.5:9100",
        __meta_kubernetes_namespace: "monitoring",
        __meta_kubernetes_service_name: "node-exporter",
        __meta_kubernetes_service_label_app: "node-exporter",
        app: "node-exporter",
        kubernetes_namespace: "monitoring",
        kubernetes_name: "node-exporter",
      },
    ],
    [
      "pods: the commented annotation rules (keep, metrics path, port)",
      `
- source_labels: [__meta_kubernetes_pod_annotation_example_io_should_be_scraped]
  action: keep
  regex: true
- source_labels: [__meta_kubernetes_pod_annotation_example_io_metric_path]
  action: replace
  target_label: __metrics_path__
  regex: (.+)
- source_labels: [__address__, __meta_kubernetes_pod_annotation_example_io_scrape_port]
  action: replace
  regex: ([^:]+)(?::\\d+)?;(\\d+)
  replacement: $1:$2
  target_label: __address__
- action: labelmap
  regex: __meta_kubernetes_pod_label_(.+)
- source_labels: [__meta_kubernetes_namespace]
  action: replace
  target_label: kubernetes_namespace
- source_labels: [__meta_kubernetes_pod_name]
  action: replace
  target_label: kubernetes_pod_name`,
      POD,
      {
        ...POD,
        __address__: "10.1.2.3:9102",
        __metrics_path__: "/stats",
        app: "cart",
        tier: "backend",
        kubernetes_namespace: "shop",
        kubernetes_pod_name: "cart-7d9f-abcde",
      },
    ],
    [
      "pods: without the annotation the target is dropped",
      `
- source_labels: [__meta_kubernetes_pod_annotation_example_io_should_be_scraped]
  action: keep
  regex: true`,
      { ...POD, __meta_kubernetes_pod_annotation_example_io_should_be_scraped: "" },
      "dropped",
    ],
    [
      "pods: an empty annotation leaves the metrics path alone (regex (.+))",
      `
- source_labels: [__meta_kubernetes_pod_annotation_example_io_metric_path]
  target_label: __metrics_path__
  regex: (.+)`,
      { __metrics_path__: "/metrics" },
      { __metrics_path__: "/metrics" },
    ],
    [
      "services: probing through the blackbox exporter",
      `
- source_labels: [__address__]
  target_label: __param_target
- target_label: __address__
  replacement: blackbox-exporter.example.com:9115
- source_labels: [__param_target]
  target_label: instance
- action: labelmap
  regex: __meta_kubernetes_service_label_(.+)
- source_labels: [__meta_kubernetes_namespace]
  target_label: kubernetes_namespace
- source_labels: [__meta_kubernetes_service_name]
  target_label: kubernetes_name`,
      {
        __address__: "cart.shop.svc:80",
        __meta_kubernetes_namespace: "shop",
        __meta_kubernetes_service_name: "cart",
        __meta_kubernetes_service_label_team: "payments",
      },
      {
        __address__: "blackbox-exporter.example.com:9115",
        __param_target: "cart.shop.svc:80",
        instance: "cart.shop.svc:80",
        __meta_kubernetes_namespace: "shop",
        __meta_kubernetes_service_name: "cart",
        __meta_kubernetes_service_label_team: "payments",
        team: "payments",
        kubernetes_namespace: "shop",
        kubernetes_name: "cart",
      },
    ],
    [
      "ingresses: a probe URL from three labels",
      `
- source_labels: [__meta_kubernetes_ingress_scheme, __address__, __meta_kubernetes_ingress_path]
  regex: (.+);(.+);(.+)
  replacement: \${1}://\${2}\${3}
  target_label: __param_target`,
      {
        __address__: "shop.example.com",
        __meta_kubernetes_ingress_scheme: "https",
        __meta_kubernetes_ingress_path: "/cart",
      },
      {
        __address__: "shop.example.com",
        __meta_kubernetes_ingress_scheme: "https",
        __meta_kubernetes_ingress_path: "/cart",
        __param_target: "https://shop.example.com/cart",
      },
    ],
    [
      "metric relabeling: drop expensive series by name",
      `
- source_labels: [__name__]
  regex: go_gc_.*|process_.*
  action: drop`,
      { __name__: "go_gc_duration_seconds", job: "api" },
      "dropped",
    ],
    [
      "keepequal (docs: drop targets whose source labels do not equal target_label)",
      `
- source_labels: [__meta_kubernetes_pod_container_port_number]
  target_label: __meta_kubernetes_pod_annotation_prometheus_io_port
  action: keepequal`,
      {
        __meta_kubernetes_pod_container_port_number: "8080",
        __meta_kubernetes_pod_annotation_prometheus_io_port: "9090",
      },
      "dropped",
    ],
    [
      "lowercase (docs: maps the concatenated source labels to lower case)",
      `
- source_labels: [env, region]
  separator: "-"
  target_label: where
  action: lowercase`,
      { env: "Prod", region: "EU-West" },
      { env: "Prod", region: "EU-West", where: "prod-eu-west" },
    ],
    [
      "hashmod sharding: keep shard 2 of 4",
      `
- source_labels: [__address__]
  modulus: 4
  target_label: __tmp_hash
  action: hashmod
- source_labels: [__tmp_hash]
  regex: 2
  action: keep`,
      { __address__: "10.0.0.3:9100" },
      "dropped", // this address hashes to shard 3
    ],
    [
      "hashmod sharding: an address of shard 2 is kept",
      `
- source_labels: [__address__]
  modulus: 4
  target_label: __tmp_hash
  action: hashmod
- source_labels: [__tmp_hash]
  regex: 2
  action: keep`,
      { __address__: "10.0.0.5:9100" },
      { __address__: "10.0.0.5:9100", __tmp_hash: "2" },
    ],
  ])("%s", (_name, rules, input, want) => {
    expect(relabel(rules, input)).toEqual(want);
  });
});
