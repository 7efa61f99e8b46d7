import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClusterStore } from "./cluster-store.js";

describe("ClusterStore", () => {
  it("persists clusters across reopen and keeps the first registration", () => {
    const path = join(mkdtempSync(join(tmpdir(), "mirador-registry-")), "registry", "clusters.json");
    const a = ClusterStore.open(path);
    const first = a.ensure("demo-2", "demo");
    a.ensure("demo-1", "demo");
    expect(a.ensure("demo-2", "other")).toEqual(first);
    const b = ClusterStore.open(path);
    expect(b.list().map((c) => c.id)).toEqual(["demo-1", "demo-2"]);
    expect(b.get("demo-2")).toEqual(first);
    expect(b.get("nope")).toBeUndefined();
  });

  it("refuses a cluster name that cannot be a tenant id", () => {
    const store = ClusterStore.open(join(mkdtempSync(join(tmpdir(), "mirador-registry-")), "c.json"));
    expect(() => store.ensure("bad name", "p")).toThrow(/invalid cluster name/);
    expect(() => store.ensure("", "p")).toThrow(/empty/);
  });
});
