/**
 * Labels for a container's log lines from the Kubernetes API, the way Promtail gives them: the pods
 * come from the same Kubernetes discovery as the metrics side (role `pod`, Prometheus's
 * `__meta_kubernetes_*` labels), the user's `relabel_configs` turn a container's discovered labels
 * into log labels, and every label left that does not start with `__` is added to the labels the
 * log path already gave (namespace, pod, container, ...).
 *
 * Which pods are watched: only those of the agent's own node. Unless the configuration has a pod
 * `selectors` entry with a `field` already, `spec.nodeName=<node>` is added as its field selector,
 * so each agent of a DaemonSet lists and watches its node's pods rather than the cluster's. With no
 * node name, every pod the configuration selects is watched.
 *
 * What a log file gets ({@link PodLabelResult}):
 * - `undefined` when discovery does not know the pod (not yet seen, on another node, deleted, or
 *   without an IP, which the pod role leaves out): the caller uses the path labels alone;
 * - `"drop"` when the relabel rules dropped the container (a `drop`/`keep` rule, or nothing left at
 *   all, as Prometheus drops a target with an empty label set): its lines are to be dropped;
 * - otherwise the labels to add, possibly none.
 */
import { type Logger, nopLogger } from "../../lib/log/logger.js";
import { Labels } from "../../model/labels.js";
import {
  KubernetesDiscoverer,
  type KubernetesDiscovererOptions,
  type KubernetesSdConfig,
  kubernetesSdConfigSchema,
} from "../discovery/kubernetes/index.js";
import type { Discoverer, TargetGroup } from "../discovery/types.js";
import { compileRelabel, type RelabelConfig, type RelabelProgram } from "../relabel/index.js";

/** What {@link PodLabels.labelsFor} says about a container: labels to add, `"drop"` its lines, or `undefined` (unknown pod). */
export type PodLabelResult = Readonly<Record<string, string>> | "drop" | undefined;

/**
 * The schema of `logs.pods.kubernetes`: a `kubernetes_sd_configs` entry without `role` (always
 * `pod` here). Parse with it, then give the result to {@link PodLabels}.
 */
export const podLabelsKubernetesSchema = kubernetesSdConfigSchema.omit({ role: true });

/** A Kubernetes discovery configuration for pod labels: any `role` given is replaced by `pod`. */
export type PodLabelsKubernetesConfig = Omit<KubernetesSdConfig, "role"> & {
  readonly role?: KubernetesSdConfig["role"];
};

/** What a {@link PodLabels} is made from. */
export interface PodLabelsOptions {
  /** The discovery configuration (`logs.pods.kubernetes`). */
  readonly kubernetes: PodLabelsKubernetesConfig;
  /** The rules from a container's discovered labels to its log labels (`logs.pods.relabel_configs`), as the relabel schema outputs them. */
  readonly relabelConfigs: readonly RelabelConfig[];
  /** The node the agent runs on; its pods only are watched (see the file comment). Empty: all pods. */
  readonly node: string;
  readonly logger?: Logger;
  /** A discoverer to use instead of a {@link KubernetesDiscoverer} built from `kubernetes` (tests). */
  readonly discoverer?: Discoverer;
  /** Options of the {@link KubernetesDiscoverer} (service account directory, backoff); its logger is `logger`. */
  readonly discovererOptions?: Omit<KubernetesDiscovererOptions, "logger">;
}

/** The label naming the container a pod-role target is for. */
const CONTAINER_NAME = "__meta_kubernetes_pod_container_name";
/** The pod's UID, the last part of its log directory's name. */
const POD_UID = "__meta_kubernetes_pod_uid";
/**
 * A mirror pod's `kubernetes.io/config.mirror` annotation: the UID of the static pod the kubelet
 * runs, which is what its log directory is named with (the mirror pod's own UID differs).
 */
const MIRROR_UID = "__meta_kubernetes_pod_annotation_kubernetes_io_config_mirror";
const NAMESPACE = "__meta_kubernetes_namespace";
const POD_NAME = "__meta_kubernetes_pod_name";

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The discovery configuration actually used: role `pod`, and the node's field selector
 * (`spec.nodeName=<node>`) unless the first pod `selectors` entry has a field already (a pod entry
 * with only a label selector gets it added); with `attach_metadata.node`, likewise
 * `metadata.name=<node>` for the node watch. `node` empty leaves the selectors as they are.
 */
export function podLabelsSdConfig(config: PodLabelsKubernetesConfig, node: string): KubernetesSdConfig {
  const selectors = [...config.selectors];
  if (node !== "") {
    addFieldSelector(selectors, "pod", `spec.nodeName=${node}`);
    // `attach_metadata.node` watches nodes too; the only one this node's pods need is itself.
    if (config.attach_metadata?.node === true) addFieldSelector(selectors, "node", `metadata.name=${node}`);
  }
  return { ...config, role: "pod", selectors };
}

type Selector = KubernetesSdConfig["selectors"][number];

/** Gives the first `role` entry of `selectors` the field selector `field` unless it has one; adds an entry when there is none. */
function addFieldSelector(selectors: Selector[], role: Selector["role"], field: string): void {
  const i = selectors.findIndex((s) => s.role === role);
  const sel = selectors[i];
  if (sel === undefined) selectors.push({ role, field });
  else if (sel.field === undefined || sel.field === "") selectors[i] = { ...sel, field };
}

/**
 * Labels for container log files from Kubernetes pod discovery and relabel rules (see the file
 * comment for the semantics). Lifecycle: `start`, then `labelsFor` as often as needed (it answers
 * from memory and caches per container until the next discovery update), then `stop`.
 */
export class PodLabels {
  readonly #discoverer: Discoverer;
  readonly #program: RelabelProgram;
  readonly #log: Logger;
  /** Pod groups by UID (and static pods by their mirror annotation). */
  #byUid = new Map<string, TargetGroup>();
  /** Pod groups without a UID label, by `namespace/name`. */
  #byName = new Map<string, TargetGroup>();
  #cache = new Map<string, PodLabelResult>();
  #version = 0;

  constructor(opts: PodLabelsOptions) {
    this.#log = (opts.logger ?? nopLogger).child({ component: "pod_labels" });
    this.#program = compileRelabel(opts.relabelConfigs);
    this.#discoverer =
      opts.discoverer ??
      new KubernetesDiscoverer(podLabelsSdConfig(opts.kubernetes, opts.node), {
        ...opts.discovererOptions,
        logger: opts.logger ?? nopLogger,
      });
  }

  /**
   * Incremented on every discovery update: a result the caller kept from an older version may be
   * out of date and should be asked for again.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Starts discovery; resolves when the discoverer has started (the Kubernetes discoverer reports
   * its first list before that). Throws only when no API connection can be made from the
   * configuration; list and watch failures after that are logged and retried by the discoverer.
   */
  async start(): Promise<void> {
    await this.#discoverer.start((groups) => this.#update(groups));
  }

  /** Stops discovery; `labelsFor` goes on answering from the last state. */
  async stop(): Promise<void> {
    await this.#discoverer.stop();
  }

  /**
   * The labels to add to the lines of `container` in the pod whose log directory is
   * `<namespace>_<pod>_<uid>`, `"drop"`, or `undefined` when discovery does not know the pod. The
   * relabel input is the pod's labels plus the container's target (its first one when it has
   * several ports; only `__meta_kubernetes_pod_container_name` when discovery lists no such
   * container, e.g. an ephemeral one). The same object is returned until the next update.
   */
  labelsFor(namespace: string, pod: string, uid: string, container: string): PodLabelResult {
    const key = `${namespace}\0${pod}\0${uid}\0${container}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined || this.#cache.has(key)) return cached;
    const result = this.#resolve(namespace, pod, uid, container);
    this.#cache.set(key, result);
    return result;
  }

  #update(groups: readonly TargetGroup[]): void {
    const byUid = new Map<string, TargetGroup>();
    const byName = new Map<string, TargetGroup>();
    for (const g of groups) {
      const uid = g.labels[POD_UID];
      const mirror = g.labels[MIRROR_UID];
      if (uid !== undefined) byUid.set(uid, g);
      if (mirror !== undefined) byUid.set(mirror, g);
      if (uid === undefined && mirror === undefined) {
        byName.set(`${g.labels[NAMESPACE] ?? ""}/${g.labels[POD_NAME] ?? ""}`, g);
      }
    }
    this.#byUid = byUid;
    this.#byName = byName;
    this.#cache = new Map();
    this.#version++;
    this.#log.debug("pods updated", { pods: groups.length, version: this.#version });
  }

  #resolve(namespace: string, pod: string, uid: string, container: string): PodLabelResult {
    const group = (uid === "" ? undefined : this.#byUid.get(uid)) ?? this.#byName.get(`${namespace}/${pod}`);
    if (group === undefined) return undefined;
    const target = group.targets.find((t) => t[CONTAINER_NAME] === container) ?? {
      [CONTAINER_NAME]: container,
    };
    const out = this.#program.apply(Labels.fromRecord({ ...group.labels, ...target }));
    if (out === undefined || out.size === 0) return "drop";
    const add: Record<string, string> = {};
    let any = false;
    out.forEach((name, value) => {
      if (name.startsWith("__")) return;
      add[name] = value;
      any = true;
    });
    return any ? Object.freeze(add) : NO_LABELS;
  }
}
