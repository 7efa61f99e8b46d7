import { describe, expect, it } from "vitest";
import { ErrorLog } from "./error-log.js";

describe("ErrorLog", () => {
  it("lists the latest errors first, bounded, a repeat moving to the front", () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const log = new ErrorLog(3, () => now++);
    log.add("config", "a");
    log.add("certificate", "b");
    log.add("config", "c");
    log.add("config", "a");
    log.add("control", "d");
    expect(log.list()).toEqual([
      "2026-01-01T00:00:00.004Z control: d",
      "2026-01-01T00:00:00.003Z config: a",
      "2026-01-01T00:00:00.002Z config: c",
    ]);
  });

  it("forgets a kind once it is solved", () => {
    const log = new ErrorLog(10, () => 0);
    log.add("config", "refused");
    log.add("certificate", "failed");
    log.clear("config");
    expect(log.list()).toEqual(["1970-01-01T00:00:00.000Z certificate: failed"]);
  });
});
