import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandGlob, matchGlob } from "./glob.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "glob-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("expandGlob", () => {
  it("expands wildcards in every element, regular files only, sorted", async () => {
    const pods = join(dir, "pods");
    for (const [pod, c, f] of [
      ["ns_b_1", "app", "0.log"],
      ["ns_a_2", "app", "1.log"],
      ["ns_a_2", "app", "0.log.20240501.gz"],
      ["ns_a_2", "side", "0.log"],
    ] as const) {
      mkdirSync(join(pods, pod, c), { recursive: true });
      writeFileSync(join(pods, pod, c, f), "");
    }
    mkdirSync(join(pods, "ns_c_3", "dir.log", "x.log"), { recursive: true }); // a directory named *.log
    symlinkSync(join(pods, "ns_b_1", "app", "0.log"), join(dir, "link.log"));
    expect(await expandGlob(`${pods}/*/*/*.log`)).toEqual([
      join(pods, "ns_a_2", "app", "1.log"),
      join(pods, "ns_a_2", "side", "0.log"),
      join(pods, "ns_b_1", "app", "0.log"),
    ]);
    expect(await expandGlob(`${dir}/*.log`)).toEqual([join(dir, "link.log")]);
    expect(await expandGlob(`${pods}/ns_?_2/app/?.log`)).toEqual([join(pods, "ns_a_2", "app", "1.log")]);
    expect(await expandGlob(`${dir}/missing/*/x.log`)).toEqual([]);
    expect(await expandGlob(join(pods, "ns_b_1", "app", "0.log"))).toEqual([
      join(pods, "ns_b_1", "app", "0.log"),
    ]);
  });
});

describe("matchGlob", () => {
  it.each([
    ["/var/log/pods/*/*/*.log", "/var/log/pods/a_b_c/d/0.log", true],
    ["/var/log/pods/*/*/*.log", "/var/log/pods/a_b_c/0.log", false],
    ["/var/log/pods/*/*/*.log", "/var/log/pods/a_b_c/d/0.log.1", false],
    ["/var/log/sys?og", "/var/log/syslog", true],
    ["/var/log/a.log", "/var/log/aXlog", false],
  ])("%s ~ %s", (pattern, path, want) => {
    expect(matchGlob(pattern, path)).toBe(want);
  });
});
