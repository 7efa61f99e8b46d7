import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PositionsFile, PositionsFileError } from "./positions.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "positions-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("PositionsFile", () => {
  it("starts empty without a file, saves atomically and loads back", async () => {
    const path = join(dir, "sub", "positions.json");
    const pf = await PositionsFile.load(path, { now: () => 1000 });
    expect(pf.get("/a.log")).toBeUndefined();
    pf.setAll(
      new Map([
        ["/b.log", { inode: "1:2", offset: 10 }],
        ["/a.log", { inode: "1:3", offset: 0 }],
      ]),
    );
    await pf.save();
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      version: 1,
      positions: {
        "/a.log": { inode: "1:3", offset: 0, seen_ms: 1000 },
        "/b.log": { inode: "1:2", offset: 10, seen_ms: 1000 },
      },
    });
    expect(readdirSync(join(dir, "sub"))).toEqual(["positions.json"]); // no temporary file left
    const again = await PositionsFile.load(path);
    expect(again.get("/b.log")).toEqual({ inode: "1:2", offset: 10 });
    expect(again.paths().sort()).toEqual(["/a.log", "/b.log"]);
  });

  it("drops entries of paths not seen for longer than the grace", async () => {
    const path = join(dir, "positions.json");
    let now = 0;
    const pf = await PositionsFile.load(path, { graceMs: 100, now: () => now });
    pf.set("/kept.log", { inode: "1:1", offset: 5 });
    pf.set("/gone.log", { inode: "1:2", offset: 6 });
    now = 90;
    pf.keepAlive(["/kept.log"]);
    now = 150;
    await pf.save();
    expect(pf.paths()).toEqual(["/kept.log"]);
    const loaded = await PositionsFile.load(path, { graceMs: 100, now: () => 150 });
    expect(loaded.get("/gone.log")).toBeUndefined();
    expect(loaded.get("/kept.log")).toEqual({ inode: "1:1", offset: 5 });
  });

  it("stop saves; an unchanged set is not rewritten", async () => {
    const path = join(dir, "positions.json");
    const pf = await PositionsFile.load(path);
    pf.startAutoSave(60_000, (err) => {
      throw err;
    });
    pf.set("/x.log", { inode: "9:9", offset: 1 });
    await pf.stop();
    expect((await PositionsFile.load(path)).get("/x.log")).toEqual({ inode: "9:9", offset: 1 });
    writeFileSync(path, "sentinel");
    await pf.save();
    expect(readFileSync(path, "utf8")).toBe("sentinel");
  });

  it.each([
    ["not json", "not JSON"],
    ['{"version":2,"positions":{}}', "expected"],
    ['{"version":1}', "no positions"],
    ['{"version":1,"positions":{"/a":{"inode":1,"offset":0}}}', "bad entry"],
    ['{"version":1,"positions":{"/a":{"inode":"1:1","offset":-1}}}', "bad entry"],
  ])("refuses a corrupt file: %s", async (text, why) => {
    const path = join(dir, "positions.json");
    writeFileSync(path, text);
    const err = await PositionsFile.load(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PositionsFileError);
    expect((err as Error).message).toContain(why);
  });
});
