import { describe, expect, it } from "vitest";
import { kubeLabelsFromPath } from "./kube-path.js";

describe("kubeLabelsFromPath", () => {
  it.each([
    [
      "/var/log/pods/default_web-7d4b9c-x2z9q_0b7e8f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b/nginx/0.log",
      {
        namespace: "default",
        pod: "web-7d4b9c-x2z9q",
        pod_uid: "0b7e8f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        container: "nginx",
      },
    ],
    [
      "/var/log/pods/kube-system_coredns.v1-5d78c9869d-abcde_uid-1/core-dns.2/12.log",
      {
        namespace: "kube-system",
        pod: "coredns.v1-5d78c9869d-abcde",
        pod_uid: "uid-1",
        container: "core-dns.2",
      },
    ],
    [
      "/host/var/log/pods/a.b-c_p_u/c/0.log.20240501-100000",
      { namespace: "a.b-c", pod: "p", pod_uid: "u", container: "c" },
    ],
    [
      "/var/log/containers/web-7d4b9c-x2z9q_my-ns.prod_nginx-sidecar-0123456789abcdef.log",
      {
        pod: "web-7d4b9c-x2z9q",
        namespace: "my-ns.prod",
        container: "nginx-sidecar",
        container_id: "0123456789abcdef",
      },
    ],
  ])("%s", (path, want) => {
    expect(kubeLabelsFromPath(path)).toEqual(want);
  });

  it.each([
    "/var/log/syslog",
    "/var/log/pods/nounderscore/c/0.log",
    "/var/log/pods/ns_/c/0.log",
    "/var/log/pods/_pod_uid/c/0.log",
    "/var/log/containers/pod_ns.log",
    "/var/log/containers/pod_ns_container.log",
    "/var/log/containers/pod_ns_container-.log",
    "/var/log/containers/notalog.txt",
  ])("not a Kubernetes layout: %s", (path) => {
    expect(kubeLabelsFromPath(path)).toBeUndefined();
  });
});
