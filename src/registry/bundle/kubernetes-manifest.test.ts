import { DaemonSet, Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, Secret, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { agentConfigSchema } from "../../server/config.js";
import {
  CONFIG_KEYS,
  type KubernetesInput,
  kubernetesObjects,
  kubernetesYaml,
  OBJECT_NAMES,
} from "./kubernetes-manifest.js";

/** A class of kubernetes-models per kind and apiVersion: each validates against the Kubernetes schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "apps/v1/DaemonSet": DaemonSet,
  "apps/v1/Deployment": Deployment,
};

const input: KubernetesInput = {
  cluster: "prod-eu-1",
  project: "payments",
  gatewayUrl: "https://seed.example:9701",
  certPem: "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n",
  keyPem: "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n",
  caPem: "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n",
  image: "registry.example/mirador:0.1.0",
  namespace: "mirador-agent",
};

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are read freely in assertions.
type Obj = any;

function objects(i: KubernetesInput = input): Obj[] {
  return parseAllDocuments(kubernetesYaml(i)).map((d) => d.toJS() as Obj);
}
const byKind = (list: Obj[], kind: string): Obj => list.find((o) => o.kind === kind);
const podSpec = (list: Obj[], kind: string): Obj => byKind(list, kind).spec.template.spec;

describe("kubernetes.yaml", () => {
  it("validates every object against the Kubernetes schemas", () => {
    const list = objects();
    expect(list.map((o) => o.kind)).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Secret",
      "ConfigMap",
      "DaemonSet",
      "Deployment",
    ]);
    for (const o of list) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
      expect(() => new Model(o as never).validate(), `${o.kind} ${o.metadata?.name}`).not.toThrow();
    }
  });

  it("parses to the same objects it was made from, without YAML anchors", () => {
    expect(objects()).toEqual(JSON.parse(JSON.stringify(kubernetesObjects(input))));
    expect(kubernetesYaml(input)).not.toMatch(/[&*]a\d/);
  });

  it("grants only get, list and watch, on what discovery and the kubelet jobs read", () => {
    const list = objects();
    const role = byKind(list, "ClusterRole");
    for (const rule of role.rules)
      expect(rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v))).toBe(true);
    const resources = role.rules
      .flatMap((r: Obj) => r.resources.map((x: string) => `${r.apiGroups[0]}/${x}`))
      .sort();
    expect(resources).toEqual([
      "/endpoints",
      "/nodes",
      "/nodes/metrics",
      "/nodes/proxy",
      "/pods",
      "/services",
      "discovery.k8s.io/endpointslices",
    ]);
    expect(role.rules.some((r: Obj) => r.nonResourceURLs !== undefined)).toBe(false);
    const binding = byKind(list, "ClusterRoleBinding");
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: OBJECT_NAMES.serviceAccount, namespace: "mirador-agent" },
    ]);
  });

  it("puts the certificate, key and CA in a TLS Secret", () => {
    const secret = byKind(objects(), "Secret");
    expect(secret.type).toBe("kubernetes.io/tls");
    const decoded = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, "base64").toString(),
      ]),
    );
    expect(decoded).toEqual({ "tls.crt": input.certPem, "tls.key": input.keyPem, "ca.crt": input.caPem });
  });

  it("runs a per-node agent over the host's /proc, /sys and /var/log, read-only, with the Secret mounted", () => {
    const list = objects();
    const spec = podSpec(list, "DaemonSet");
    const c = spec.containers[0];
    expect(c.image).toBe(input.image);
    expect(c.command).toEqual(["mirador-agent"]);
    expect(c.args).toEqual(["--config", `/etc/mirador/config/${CONFIG_KEYS.node}`]);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.name, m]));
    const volumes = Object.fromEntries(spec.volumes.map((v: Obj) => [v.name, v]));
    expect(volumes.tls.secret.secretName).toBe(byKind(list, "Secret").metadata.name);
    expect(mounts.tls).toMatchObject({ mountPath: "/etc/mirador/tls", readOnly: true });
    for (const [name, hostPath] of [
      ["host-proc", "/proc"],
      ["host-sys", "/sys"],
      ["host-log", "/var/log"],
    ] as const) {
      expect(volumes[name].hostPath.path).toBe(hostPath);
      expect(mounts[name].readOnly).toBe(true);
    }
    expect(volumes.data.hostPath).toEqual({ path: "/var/lib/mirador-agent", type: "DirectoryOrCreate" });
    expect(spec.hostNetwork).toBe(true);
    // It watches its node's pods for the labels of their logs.
    expect(spec.automountServiceAccountToken).toBe(true);
    const data = byKind(list, "ConfigMap").data as Record<string, string>;
    const node = agentConfigSchema.parse(parse(data[CONFIG_KEYS.node]!));
    expect(node.logs.pods.kubernetes).toEqual({ selectors: [] });
    expect(node.logs.pods.relabel_configs.map((r) => r.action)).toEqual(["labelmap"]);
  });

  it.each(["DaemonSet", "Deployment"])(
    "gives the %s probes, resources and a locked-down container",
    (kind) => {
      const spec = podSpec(objects(), kind);
      const c = spec.containers[0];
      expect(c.livenessProbe.httpGet).toEqual({ path: "/-/healthy", port: "http" });
      expect(c.readinessProbe.httpGet).toEqual({ path: "/-/ready", port: "http" });
      expect(c.ports).toEqual([{ name: "http", containerPort: 9702, protocol: "TCP" }]);
      expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.securityContext.capabilities.add).toBeUndefined();
      expect(c.securityContext.privileged).toBeUndefined();
    },
  );

  it("runs the cluster-wide agent once, as an unprivileged user, with the service account token", () => {
    const list = objects();
    const d = byKind(list, "Deployment");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe("Recreate");
    const spec = d.spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(spec.automountServiceAccountToken).toBe(true);
    expect(spec.containers[0].args.at(-1)).toBe(`/etc/mirador/config/${CONFIG_KEYS.cluster}`);
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.volumes.some((v: Obj) => v.hostPath !== undefined)).toBe(false);
  });

  it("configures the two agents so that nothing is scraped twice", () => {
    const data = byKind(objects(), "ConfigMap").data as Record<string, string>;
    const node = agentConfigSchema.parse(parse(data[CONFIG_KEYS.node]!));
    const cluster = agentConfigSchema.parse(parse(data[CONFIG_KEYS.cluster]!));
    for (const cfg of [node, cluster]) {
      expect(cfg).toMatchObject({
        cluster: "prod-eu-1",
        remote_write_url: "https://seed.example:9701/api/v1/push",
        tls: {
          cert_file: "/etc/mirador/tls/tls.crt",
          key_file: "/etc/mirador/tls/tls.key",
          ca_file: "/etc/mirador/tls/ca.crt",
        },
        http_listen_address: "0.0.0.0",
        http_port: 9702,
      });
      expect(cfg.scrape_configs).toEqual([]);
    }
    expect(node.host_collector).toEqual({ enabled: true, proc_path: "/host/proc", sys_path: "/host/sys" });
    expect(node.kubernetes.default_jobs).toBe(false);
    expect(node.logs).toMatchObject({ enabled: true, pods: { dir: "/var/log/pods" } });
    expect(cluster.logs.enabled).toBe(false);
    expect(node.self_scrape).toBe(false);
    expect(node.data_dir).toBe("/var/lib/mirador-agent");
    expect(cluster.host_collector.enabled).toBe(false);
    expect(cluster.kubernetes.default_jobs).toBe(true);
    expect(cluster.self_scrape).toBe(true);
    // The cluster agent scrapes each node agent through the pod annotations.
    const annotations = byKind(objects(), "DaemonSet").spec.template.metadata.annotations;
    expect(annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": "9702" });
  });

  it("installs into another namespace without clashing with a first install", () => {
    const list = objects({ ...input, namespace: "monitoring" });
    for (const o of list.filter((x) => x.metadata.namespace !== undefined))
      expect(o.metadata.namespace).toBe("monitoring");
    expect(byKind(list, "Namespace").metadata.name).toBe("monitoring");
    expect(byKind(list, "ClusterRole").metadata.name).toBe("mirador-agent-monitoring");
    expect(byKind(list, "ClusterRoleBinding").subjects[0].namespace).toBe("monitoring");
  });

  it("rolls the pods when the configuration or certificate changes", () => {
    const checksum = (i: KubernetesInput) =>
      byKind(objects(i), "DaemonSet").spec.template.metadata.annotations["mirador.io/checksum"];
    expect(checksum(input)).toBe(checksum({ ...input }));
    expect(checksum({ ...input, certPem: `${input.certPem}\n` })).not.toBe(checksum(input));
    expect(checksum({ ...input, gatewayUrl: "https://other.example:9701" })).not.toBe(checksum(input));
  });
});
