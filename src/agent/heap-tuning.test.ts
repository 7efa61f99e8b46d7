import { describe, expect, it } from "vitest";
import { AGENT_MIMALLOC_SETTINGS, releaseYoungGeneration, tuneAgentHeap } from "./heap-tuning.js";

/** The V8 side of a tuning, with a scratch environment (the test process's own is left alone). */
function v8Tuning(execArgv: string[], nodeOptions: string) {
  const { heapGrowing, youngGeneration } = tuneAgentHeap(execArgv, nodeOptions, {});
  return { heapGrowing, youngGeneration };
}

describe("tuneAgentHeap", () => {
  it("sets each tuning unless the operator chose its flags", () => {
    expect(v8Tuning([], "")).toEqual({ heapGrowing: true, youngGeneration: true });
    expect(v8Tuning(["--heap-growing-percent=20"], "")).toEqual({
      heapGrowing: false,
      youngGeneration: true,
    });
    expect(v8Tuning([], "--max-old-space-size=200 --heap_growing_percent=10")).toEqual({
      heapGrowing: false,
      youngGeneration: true,
    });
    expect(v8Tuning(["--max-old-space-size=200"], "--inspect")).toEqual({
      heapGrowing: true,
      youngGeneration: true,
    });
    expect(v8Tuning(["--max-semi-space-size=16"], "")).toEqual({
      heapGrowing: true,
      youngGeneration: false,
    });
    expect(v8Tuning([], "--semi_space_growth_factor=2")).toEqual({
      heapGrowing: true,
      youngGeneration: false,
    });
  });

  it("gives the young generation's growth back only when it was capped", () => {
    tuneAgentHeap([], "", {});
    expect(releaseYoungGeneration()).toBe(true);
    expect(releaseYoungGeneration()).toBe(false);
    tuneAgentHeap(["--max-semi-space-size=16"], "", {});
    expect(releaseYoungGeneration()).toBe(false);
  });
});

describe("the native allocator's settings", () => {
  it("are put in the environment unless the operator set them", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(tuneAgentHeap([], "", env).nativeAllocator).toEqual(Object.keys(AGENT_MIMALLOC_SETTINGS));
    expect(env).toEqual({ MIMALLOC_PURGE_DELAY: "0", MIMALLOC_EAGER_COMMIT: "0" });

    const operator: NodeJS.ProcessEnv = { MIMALLOC_PURGE_DELAY: "100" };
    expect(tuneAgentHeap([], "", operator).nativeAllocator).toEqual(["MIMALLOC_EAGER_COMMIT"]);
    expect(operator).toEqual({ MIMALLOC_PURGE_DELAY: "100", MIMALLOC_EAGER_COMMIT: "0" });
  });
});
