import { describe, expect, it } from "vitest";
import { resolveLogShipperConfig } from "../logs/ship/config.js";
import { resolveConfig } from "./config.js";
import { SettingsCheck } from "./settings-check.js";

describe("SettingsCheck", () => {
  const check = new SettingsCheck("remote_write r1:");

  it("names the sender and the setting in every refusal", () => {
    expect(() => check.positive(0, "queue_config.capacity")).toThrow(
      "remote_write r1: queue_config.capacity must be a number > 0, got 0",
    );
    expect(() => check.positive(Number.POSITIVE_INFINITY, "x")).toThrow(
      "x must be a number > 0, got Infinity",
    );
    expect(() => check.positive("5", "x")).toThrow("x must be a number > 0, got 5");
    expect(() => check.notAbove(5, "queue_config.min_backoff", 3, "max_backoff", " ms")).toThrow(
      "remote_write r1: queue_config.min_backoff (5 ms) is above max_backoff (3 ms)",
    );
    expect(() => check.headers({ "Content-Type": "x" }, new Set(["content-type"]), "remote-write")).toThrow(
      "remote_write r1: headers may not set Content-Type, which the remote-write protocol sets",
    );
  });

  it("lets valid settings through", () => {
    check.positive(1, "x");
    check.notAbove(3, "a", 3, "b");
    check.headers({ "X-Scope-OrgID": "t" }, new Set(["content-type"]), "remote-write");
  });

  it("is what both senders' configurations use", () => {
    const base = { name: "r1", url: "http://127.0.0.1:1/api/v1/push", dir: "/tmp/q" };
    expect(() => resolveConfig({ ...base, minShards: 4, maxShards: 2 })).toThrow(
      "remote_write r1: queue_config.min_shards (4) is above max_shards (2)",
    );
    expect(() => resolveConfig({ ...base, headers: { "User-Agent": "x" } })).toThrow(
      "remote_write r1: headers may not set User-Agent, which the remote-write protocol sets",
    );
    expect(() =>
      resolveLogShipperConfig({ url: "http://127.0.0.1:1", dir: "/tmp/q", headers: { "Content-Type": "x" } }),
    ).toThrow("logs client headers may not set Content-Type, which the push protocol sets");
  });
});
