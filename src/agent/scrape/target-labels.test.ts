import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { applyTargetLabels } from "./target-labels.js";

describe("applyTargetLabels", () => {
  it.each([
    [
      { __name__: "x" },
      { job: "j", instance: "i" },
      {},
      { __name__: "x", cluster: "c1", instance: "i", job: "j" },
    ],
    [
      { __name__: "x", job: "inner" },
      { job: "j" },
      {},
      { __name__: "x", cluster: "c1", exported_job: "inner", job: "j" },
    ],
    [
      { __name__: "x", region: "own" },
      { job: "j" },
      { region: "eu", env: "prod" },
      { __name__: "x", cluster: "c1", env: "prod", job: "j", region: "own" },
    ],
    [{ __name__: "x", cluster: "evil" }, { job: "j" }, {}, { __name__: "x", cluster: "c1", job: "j" }],
    [{ __name__: "x" }, { job: "j" }, { cluster: "other" }, { __name__: "x", cluster: "c1", job: "j" }],
  ])("%j with target %j and external %j", (scraped, target, external, want) => {
    expect(applyTargetLabels(Labels.fromRecord(scraped), target, external, "c1").toRecord()).toEqual(want);
  });
});
