/**
 * Labels of a container log file from its path, in the two layouts the kubelet makes:
 * - `/var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log` (the files themselves);
 * - `/var/log/containers/<pod>_<namespace>_<container>-<container id>.log` (older symlinks to them).
 *
 * Namespace and pod names are DNS names (letters, digits, `-`, `.`) and cannot hold `_`, which is
 * why `_` can separate them.
 */

/** Labels a Kubernetes log path yields; `pod_uid` only in the `/var/log/pods` layout. */
export interface KubePathLabels {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly pod_uid?: string;
  readonly container_id?: string;
}

/** Labels of `path` if it follows one of the kubelet's layouts, else `undefined`. */
export function kubeLabelsFromPath(path: string): KubePathLabels | undefined {
  const parts = path.split("/");
  const n = parts.length;
  if (n >= 4 && parts[n - 4] === "pods") return fromPodsLayout(parts[n - 3]!, parts[n - 2]!);
  if (n >= 2 && parts[n - 2] === "containers") return fromContainersLayout(parts[n - 1]!);
  return undefined;
}

function fromPodsLayout(podDir: string, container: string): KubePathLabels | undefined {
  const a = podDir.indexOf("_");
  const b = podDir.lastIndexOf("_");
  if (a <= 0 || b <= a + 1 || b === podDir.length - 1 || container === "") return undefined;
  return {
    namespace: podDir.slice(0, a),
    pod: podDir.slice(a + 1, b),
    pod_uid: podDir.slice(b + 1),
    container,
  };
}

function fromContainersLayout(file: string): KubePathLabels | undefined {
  if (!file.endsWith(".log")) return undefined;
  const base = file.slice(0, -4);
  const a = base.indexOf("_");
  const b = a < 0 ? -1 : base.indexOf("_", a + 1);
  const dash = base.lastIndexOf("-");
  if (a <= 0 || b <= a + 1 || dash <= b + 1 || dash === base.length - 1) return undefined;
  return {
    pod: base.slice(0, a),
    namespace: base.slice(a + 1, b),
    container: base.slice(b + 1, dash),
    container_id: base.slice(dash + 1),
  };
}
