import type { PeerCertificate } from "node:tls";
import { describe, expect, it } from "vitest";
import { clusterIdFromPeerCertificate } from "./inspect.js";

/** A peer certificate as `getPeerCertificate()` returns it, reduced to what the function reads. */
const peer = (subject?: Record<string, string | string[]>): PeerCertificate =>
  (subject === undefined ? {} : { subject }) as unknown as PeerCertificate;

describe("clusterIdFromPeerCertificate", () => {
  it.each<{ name: string; cert: PeerCertificate | null; want: string | undefined }>([
    {
      name: "a cluster certificate",
      cert: peer({ O: "mirador-cluster", CN: "prod-eu-1" }),
      want: "prod-eu-1",
    },
    {
      name: "every tenant-id character",
      cert: peer({ O: "mirador-cluster", CN: "A.z_0-9!*'()" }),
      want: "A.z_0-9!*'()",
    },
    { name: "no certificate (empty object)", cert: peer(), want: undefined },
    { name: "null", cert: null, want: undefined },
    { name: "no O", cert: peer({ CN: "prod-eu-1" }), want: undefined },
    { name: "another O", cert: peer({ O: "mirador", CN: "prod-eu-1" }), want: undefined },
    { name: "two O values", cert: peer({ O: ["mirador-cluster", "x"], CN: "prod-eu-1" }), want: undefined },
    { name: "no CN", cert: peer({ O: "mirador-cluster" }), want: undefined },
    { name: "two CN values", cert: peer({ O: "mirador-cluster", CN: ["a", "b"] }), want: undefined },
    { name: "an empty CN", cert: peer({ O: "mirador-cluster", CN: "" }), want: undefined },
    { name: "a CN of ..", cert: peer({ O: "mirador-cluster", CN: ".." }), want: undefined },
    { name: "a CN with a slash", cert: peer({ O: "mirador-cluster", CN: "a/b" }), want: undefined },
    { name: "a CN with a space", cert: peer({ O: "mirador-cluster", CN: "a b" }), want: undefined },
    { name: "a CN with a pipe", cert: peer({ O: "mirador-cluster", CN: "a|b" }), want: undefined },
    {
      name: "a CN of 151 characters",
      cert: peer({ O: "mirador-cluster", CN: "a".repeat(151) }),
      want: undefined,
    },
  ])("$name gives $want", ({ cert, want }) => {
    expect(clusterIdFromPeerCertificate(cert)).toBe(want);
  });
});
