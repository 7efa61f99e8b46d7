import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ContainerLogWriter, rfc3339Nano } from "./container-log-writer.js";

const dirs: string[] = [];
function root(): string {
  const d = mkdtempSync(join(tmpdir(), "mirador-clw-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const pod = { namespace: "shop", pod: "web-7d9f-abc", uid: "0b1c-22", container: "app" };

describe("ContainerLogWriter", () => {
  it("writes CRI records on the kubelet's path, splitting long lines into partials", () => {
    const w = new ContainerLogWriter({ root: root(), ...pod, maxRecordBytes: 16 });
    w.write("hello", "stdout", 1_700_000_000_123_456_789n);
    w.write("0123456789abcdef0123456789ABCDEF-end", "stderr", 1_700_000_000_123_456_790n);
    w.close();
    expect(w.path).toMatch(/shop_web-7d9f-abc_0b1c-22\/app\/0\.log$/);
    expect(readFileSync(w.path, "utf8").split("\n")).toEqual([
      "2023-11-14T22:13:20.123456789Z stdout F hello",
      "2023-11-14T22:13:20.123456790Z stderr P 0123456789abcdef",
      "2023-11-14T22:13:20.123456790Z stderr P 0123456789ABCDEF",
      "2023-11-14T22:13:20.123456790Z stderr F -end",
      "",
    ]);
  });

  it("writes Docker's json-file format, partials without their newline", () => {
    const w = new ContainerLogWriter({ root: root(), ...pod, format: "docker", maxRecordBytes: 16 });
    w.write('say "hi"', "stdout", 5n);
    w.write("x".repeat(20), "stdout", 6n);
    w.close();
    const recs = readFileSync(w.path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(recs).toEqual([
      { log: 'say "hi"\n', stream: "stdout", time: "1970-01-01T00:00:00.000000005Z" },
      { log: "x".repeat(16), stream: "stdout", time: "1970-01-01T00:00:00.000000006Z" },
      { log: "xxxx\n", stream: "stdout", time: "1970-01-01T00:00:00.000000006Z" },
    ]);
  });

  it("rotates by renaming, keeping the newest rotated files", () => {
    const w = new ContainerLogWriter({ root: root(), ...pod, rotateBytes: 100, keep: 2 });
    for (let i = 0; i < 10; i++) {
      w.write(`line ${i} ${"x".repeat(40)}`);
      w.flush();
    }
    w.close();
    const files = readdirSync(w.dir).sort();
    expect(files.filter((f) => f.startsWith("0.log.")).length).toBe(2);
    expect(w.rotations).toBeGreaterThanOrEqual(4);
    // The live file holds the last line, the newest rotated one the line before it.
    expect(readFileSync(w.path, "utf8")).toContain("line 9 ");
    expect(readFileSync(join(w.dir, files.at(-1)!), "utf8")).toContain("line 8 ");
  });

  it("rotates by copy and truncate, in place", () => {
    const w = new ContainerLogWriter({ root: root(), ...pod, rotateBytes: 100, rotation: "copytruncate" });
    for (let i = 0; i < 3; i++) {
      w.write(`line ${i} ${"x".repeat(60)}`);
      w.flush();
    }
    w.close();
    expect(readFileSync(w.path, "utf8").trim().split("\n")).toHaveLength(1);
    expect(readFileSync(w.path, "utf8")).toContain("line 2 ");
    expect(readFileSync(`${w.path}.1`, "utf8")).toContain("line 1 ");
    expect(w.rotations).toBe(2);
  });

  it("formats RFC 3339 with nine fractional digits", () => {
    expect(rfc3339Nano(0n)).toBe("1970-01-01T00:00:00.000000000Z");
    expect(rfc3339Nano(1_763_750_000_000_000_001n)).toBe("2025-11-21T18:33:20.000000001Z");
  });
});
