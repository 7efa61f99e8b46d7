import { describe, expect, it } from "vitest";
import { PartialJoiner } from "./partial-joiner.js";

describe("PartialJoiner", () => {
  it("joins pieces per stream until the last one", () => {
    const j = new PartialJoiner();
    expect(j.push("stdout", "he", true, 1n, 0)).toBeUndefined();
    expect(j.push("stderr", "E1", true, 2n, 10)).toBeUndefined();
    expect(j.pendingStart()).toBe(0);
    expect(j.push("stdout", "llo", false, 3n, 20)).toEqual({
      key: "stdout",
      content: "hello",
      tsNs: 1n,
      truncated: false,
    });
    expect(j.pendingStart()).toBe(10);
    expect(j.push("stderr", "E2", false, 4n, 30)).toEqual({
      key: "stderr",
      content: "E1E2",
      tsNs: 2n,
      truncated: false,
    });
    expect(j.hasPending).toBe(false);
    expect(j.pendingStart()).toBeUndefined();
  });

  it("cuts at the cap, counts it, and drops the rest of the pieces", () => {
    const j = new PartialJoiner(10);
    j.push("stdout", "abcdef", true, 1n, 0);
    j.push("stdout", "ghijkl", true, 2n, 1);
    j.push("stdout", "mnop", true, 3n, 2);
    expect(j.push("stdout", "qr", false, 4n, 3)).toEqual({
      key: "stdout",
      content: "abcdefghij",
      tsNs: 1n,
      truncated: true,
    });
    expect(j.cutLines).toBe(1);
    expect(j.push("stdout", "x".repeat(11), false, 5n, 4)).toMatchObject({
      content: "x".repeat(10),
      truncated: true,
    });
    expect(j.cutLines).toBe(2);
  });

  it("cuts between characters, never inside one", () => {
    const j = new PartialJoiner(5);
    expect(j.push("stdout", "ééé", false, 1n, 0)).toMatchObject({ content: "éé", truncated: true });
  });

  it("flush ends the waiting lines in the order they started", () => {
    const j = new PartialJoiner();
    j.push("stderr", "b", true, 2n, 5);
    j.push("stdout", "a", true, 1n, 3);
    expect(j.flush().map((l) => l.content)).toEqual(["a", "b"]);
    expect(j.hasPending).toBe(false);
  });
});
