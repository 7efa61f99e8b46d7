import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYAML } from "yaml";
import { eventually } from "../../test-support/seed.js";
import { FixtureApiServer } from "../discovery/kubernetes/fixture-api-server.js";
import { pod } from "../discovery/kubernetes/fixture-objects.js";
import type { Discoverer, TargetGroup } from "../discovery/types.js";
import { relabelConfigsSchema } from "../relabel/index.js";
import {
  PodLabels,
  type PodLabelsKubernetesConfig,
  podLabelsKubernetesSchema,
  podLabelsSdConfig,
} from "./pod-labels.js";

/** Relabel rules as a user would write them under `logs.pods.relabel_configs`. */
function rules(yaml: string) {
  return relabelConfigsSchema.parse(parseYAML(yaml));
}

const RULES = rules(`
- action: drop
  source_labels: [__meta_kubernetes_namespace]
  regex: kube-system
- action: labelmap
  regex: __meta_kubernetes_pod_label_(.+)
- source_labels: [__meta_kubernetes_pod_annotation_example_com_team]
  target_label: team
- source_labels: [__meta_kubernetes_pod_container_port_name]
  target_label: port
- source_labels: [__meta_kubernetes_pod_container_name]
  target_label: sd_container
`);

const UID = "uid-shop-web-1";

describe("podLabelsSdConfig", () => {
  const base = podLabelsKubernetesSchema.parse({});
  const sel = (selectors: unknown) => podLabelsKubernetesSchema.parse({ selectors });

  it.each<[string, PodLabelsKubernetesConfig, string, unknown[]]>([
    ["adds the node's field selector", base, "node-1", [{ role: "pod", field: "spec.nodeName=node-1" }]],
    ["watches every pod without a node name", base, "", []],
    [
      "adds the field to a pod entry with only a label selector",
      sel([{ role: "pod", label: "app=web" }]),
      "n",
      [{ role: "pod", label: "app=web", field: "spec.nodeName=n" }],
    ],
    [
      "keeps a pod entry's own field selector",
      sel([{ role: "pod", field: "status.phase=Running" }]),
      "n",
      [{ role: "pod", field: "status.phase=Running" }],
    ],
    [
      "ignores other roles' entries",
      sel([{ role: "node", field: "metadata.name=x" }]),
      "n",
      [
        { role: "node", field: "metadata.name=x" },
        { role: "pod", field: "spec.nodeName=n" },
      ],
    ],
  ])("%s", (_name, cfg, node, selectors) => {
    const out = podLabelsSdConfig(cfg, node);
    expect(out.role).toBe("pod");
    expect(out.selectors).toEqual(selectors);
  });

  it("watches only its own node object when attaching node metadata", () => {
    const cfg = podLabelsKubernetesSchema.parse({ attach_metadata: { node: true } });
    expect(podLabelsSdConfig(cfg, "n").selectors).toEqual([
      { role: "pod", field: "spec.nodeName=n" },
      { role: "node", field: "metadata.name=n" },
    ]);
  });

  it("forces the pod role", () => {
    expect(podLabelsSdConfig({ ...base, role: "service" }, "").role).toBe("pod");
  });
});

/** A discoverer the test feeds by hand. */
class FakeDiscoverer implements Discoverer {
  #onUpdate: ((groups: readonly TargetGroup[]) => void) | undefined;
  stopped = false;
  constructor(readonly initial: readonly TargetGroup[]) {}
  async start(onUpdate: (groups: readonly TargetGroup[]) => void): Promise<void> {
    this.#onUpdate = onUpdate;
    onUpdate(this.initial);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  push(groups: readonly TargetGroup[]): void {
    this.#onUpdate!(groups);
  }
}

function group(labels: Record<string, string>, containers: string[]): TargetGroup {
  return {
    source: `pod/${labels.__meta_kubernetes_namespace}/${labels.__meta_kubernetes_pod_name}`,
    labels,
    targets: containers.map((c) => ({ __address__: "10.0.0.1", __meta_kubernetes_pod_container_name: c })),
  };
}

async function fake(groups: TargetGroup[], relabel = RULES) {
  const d = new FakeDiscoverer(groups);
  const pl = new PodLabels({
    kubernetes: podLabelsKubernetesSchema.parse({}),
    relabelConfigs: relabel,
    node: "n",
    discoverer: d,
  });
  await pl.start();
  return { d, pl };
}

describe("PodLabels matching (fed by hand)", () => {
  const web = group(
    {
      __meta_kubernetes_namespace: "shop",
      __meta_kubernetes_pod_name: "web-1",
      __meta_kubernetes_pod_uid: UID,
      __meta_kubernetes_pod_label_app: "web",
    },
    ["app"],
  );

  it("matches by UID when discovery gives one: a recreated pod of the same name is not the old one", async () => {
    const { pl } = await fake([web]);
    expect(pl.version).toBe(1);
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toEqual({ app: "web", sd_container: "app" });
    expect(pl.labelsFor("shop", "web-1", "another-uid", "app")).toBeUndefined();
  });

  it("matches by namespace and name when discovery gives no UID", async () => {
    const noUid = group({ __meta_kubernetes_namespace: "shop", __meta_kubernetes_pod_name: "web-1" }, [
      "app",
    ]);
    const { pl } = await fake([noUid]);
    expect(pl.labelsFor("shop", "web-1", "whatever", "app")).toEqual({ sd_container: "app" });
    expect(pl.labelsFor("shop", "web-2", "whatever", "app")).toBeUndefined();
  });

  it("finds a static pod by its mirror pod's config.mirror annotation", async () => {
    const mirror = group(
      {
        __meta_kubernetes_namespace: "kube-system-x",
        __meta_kubernetes_pod_name: "etcd-n",
        __meta_kubernetes_pod_uid: "mirror-uid",
        __meta_kubernetes_pod_annotation_kubernetes_io_config_mirror: "config-hash",
      },
      ["etcd"],
    );
    const { pl } = await fake([mirror]);
    expect(pl.labelsFor("kube-system-x", "etcd-n", "config-hash", "etcd")).toEqual({ sd_container: "etcd" });
  });

  it("drops when the rules leave no label at all, adds nothing when only __ labels are left", async () => {
    const keepNone = await fake([web], rules("- action: labelkeep\n  regex: nothing"));
    expect(keepNone.pl.labelsFor("shop", "web-1", UID, "app")).toBe("drop");
    const none = await fake([web], []);
    expect(none.pl.labelsFor("shop", "web-1", UID, "app")).toEqual({});
  });

  it("caches per container until the next update, which bumps the version", async () => {
    const { d, pl } = await fake([web]);
    const first = pl.labelsFor("shop", "web-1", UID, "app");
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toBe(first);
    d.push([]);
    expect(pl.version).toBe(2);
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toBeUndefined();
    await pl.stop();
    expect(d.stopped).toBe(true);
  });
});

describe("PodLabels against the fixture API server", () => {
  let server: FixtureApiServer;
  let dir: string;
  const running: PodLabels[] = [];

  beforeEach(async () => {
    server = await FixtureApiServer.start();
    dir = mkdtempSync(join(tmpdir(), "mirador-pod-labels-"));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(node: string): Promise<PodLabels> {
    const kubernetes = podLabelsKubernetesSchema.parse({ kubeconfig_file: server.writeKubeconfig(dir) });
    const pl = new PodLabels({
      kubernetes,
      relabelConfigs: RULES,
      node,
      discovererOptions: { backoff: { initialMs: 10, maxMs: 100 } },
    });
    running.push(pl);
    await pl.start();
    return pl;
  }

  function web1(labels: Record<string, string>) {
    return pod("shop", "web-1", {
      labels,
      annotations: { "example.com/team": "payments" },
      containers: [
        {
          name: "app",
          ports: [
            { containerPort: 8080, name: "http" },
            { containerPort: 9090, name: "metrics" },
          ],
        },
        { name: "sidecar" },
      ],
    });
  }

  it("knows this node's pods only, and relabels their containers", async () => {
    server.apply(web1({ app: "web" }));
    server.apply(pod("shop", "web-2", { nodeName: "node-2", labels: { app: "web" } }));
    server.apply(pod("kube-system", "coredns", { labels: { app: "dns" } }));
    const pl = await start("node-1");

    const pods = server.requests.filter((r) => r.resource === "pods");
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((r) => r.fieldSelector === "spec.nodeName=node-1")).toBe(true);

    // The first of a container's port targets; a port-less container; one discovery does not list.
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toEqual({
      app: "web",
      team: "payments",
      port: "http",
      sd_container: "app",
    });
    expect(pl.labelsFor("shop", "web-1", UID, "sidecar")).toEqual({
      app: "web",
      team: "payments",
      sd_container: "sidecar",
    });
    expect(pl.labelsFor("shop", "web-1", UID, "debugger")).toEqual({
      app: "web",
      team: "payments",
      sd_container: "debugger",
    });
    expect(pl.labelsFor("kube-system", "coredns", "uid-kube-system-coredns", "app")).toBe("drop");
    expect(pl.labelsFor("shop", "web-2", "uid-shop-web-2", "app")).toBeUndefined();
    expect(pl.labelsFor("shop", "nope", "uid-nope", "app")).toBeUndefined();
  });

  it("watches every pod when the node is not known", async () => {
    server.apply(pod("shop", "web-2", { nodeName: "node-2", labels: { app: "web" } }));
    const pl = await start("");
    expect(server.requests.every((r) => r.fieldSelector === undefined)).toBe(true);
    expect(pl.labelsFor("shop", "web-2", "uid-shop-web-2", "app")).toMatchObject({ app: "web" });
  });

  it("follows a pod's label change", async () => {
    server.apply(web1({ app: "web" }));
    const pl = await start("node-1");
    const before = pl.version;
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toMatchObject({ app: "web" });
    server.apply(web1({ app: "web", tier: "front" }));
    await eventually(
      async () => (pl.version > before ? pl.labelsFor("shop", "web-1", UID, "app") : undefined),
      20_000,
      () => `a version after ${before} (now ${pl.version})`,
    );
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toEqual({
      app: "web",
      tier: "front",
      team: "payments",
      port: "http",
      sd_container: "app",
    });
  });

  it("stops cleanly: every watch closed, no update after stop", async () => {
    server.apply(web1({ app: "web" }));
    const pl = await start("node-1");
    await eventually(async () => (server.openWatches === 1 ? true : undefined), 20_000, "the watch to open");
    await pl.stop();
    running.splice(running.indexOf(pl), 1);
    await eventually(async () => (server.openWatches === 0 ? true : undefined), 20_000, "watches to close");
    const version = pl.version;
    server.apply(web1({ app: "changed" }));
    // Barrier: a fresh instance sees the change, so it was served; the stopped one heard nothing.
    const other = await start("node-1");
    expect(other.labelsFor("shop", "web-1", UID, "app")).toMatchObject({ app: "changed" });
    expect(pl.version).toBe(version);
    expect(pl.labelsFor("shop", "web-1", UID, "app")).toMatchObject({ app: "web" });
  });
});
