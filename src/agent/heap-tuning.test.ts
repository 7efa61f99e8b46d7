import { describe, expect, it } from "vitest";
import { tuneAgentHeap } from "./heap-tuning.js";

describe("tuneAgentHeap", () => {
  it("sets the growing factor unless the operator chose one", () => {
    expect(tuneAgentHeap([], "")).toBe(true);
    expect(tuneAgentHeap(["--heap-growing-percent=20"], "")).toBe(false);
    expect(tuneAgentHeap([], "--max-old-space-size=200 --heap_growing_percent=10")).toBe(false);
    expect(tuneAgentHeap(["--max-old-space-size=200"], "--inspect")).toBe(true);
  });
});
