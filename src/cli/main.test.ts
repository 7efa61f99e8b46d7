import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "./cli.testlib.js";

const run = runCli;

describe("mirador command line", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints usage and the version", async () => {
    expect(await run("help")).toMatchObject({ code: 0, out: expect.stringContaining("mirador up") });
    expect(await run("version")).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^mirador \d+\.\d+\.\d+\n$/),
    });
  });

  it.each([
    [["frobnicate"], "unknown command"],
    [["server", "--http-port", "nine"], "server.http_port:"],
    [["up", "--demo-clusters", "100"], "demo.clusters:"],
    [["server", "--target", "metrics,nosuchrole"], '--target: unknown role "nosuchrole"'],
    [["server", "--bogus"], "Unknown option '--bogus'"],
    [["up", "--target", "web"], "--target"],
    [["agent"], "--config"],
  ])("refuses %j with exit code 2 and says why", async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it("names the config file and the key of an invalid file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mirador-cli-")), "bad.yaml");
    writeFileSync(file, "gateway:\n  port: high\n");
    const r = await run("server", "--config", file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toContain("gateway.port:");
  });
});
