import { describe, expect, it } from "vitest";
import { releaseYoungGeneration, tuneAgentHeap } from "./heap-tuning.js";

describe("tuneAgentHeap", () => {
  it("sets each tuning unless the operator chose its flags", () => {
    expect(tuneAgentHeap([], "")).toEqual({ heapGrowing: true, youngGeneration: true });
    expect(tuneAgentHeap(["--heap-growing-percent=20"], "")).toEqual({
      heapGrowing: false,
      youngGeneration: true,
    });
    expect(tuneAgentHeap([], "--max-old-space-size=200 --heap_growing_percent=10")).toEqual({
      heapGrowing: false,
      youngGeneration: true,
    });
    expect(tuneAgentHeap(["--max-old-space-size=200"], "--inspect")).toEqual({
      heapGrowing: true,
      youngGeneration: true,
    });
    expect(tuneAgentHeap(["--max-semi-space-size=16"], "")).toEqual({
      heapGrowing: true,
      youngGeneration: false,
    });
    expect(tuneAgentHeap([], "--semi_space_growth_factor=2")).toEqual({
      heapGrowing: true,
      youngGeneration: false,
    });
  });

  it("gives the young generation's growth back only when it was capped", () => {
    tuneAgentHeap([], "");
    expect(releaseYoungGeneration()).toBe(true);
    expect(releaseYoungGeneration()).toBe(false);
    tuneAgentHeap(["--max-semi-space-size=16"], "");
    expect(releaseYoungGeneration()).toBe(false);
  });
});
