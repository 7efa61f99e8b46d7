import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { eventually, startTestSeed } from "../../test-support/seed.js";
import { encodePushRequestJson } from "../../wire/loki/push.testlib.js";

describe("tail on a seed with the logs role", () => {
  let url: string;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, stop } = await startTestSeed({}, "logs"));
  });
  afterAll(() => stop());

  async function push(line: string): Promise<void> {
    const body = encodePushRequestJson([
      { labels: [["app", "seed"]], entries: [{ timestampNs: BigInt(Date.now()) * 1_000_000n, line }] },
    ]);
    const res = await fetch(`${url}/loki/api/v1/push`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-scope-orgid": "t" },
      body,
    });
    expect(res.status).toBe(204);
  }

  it("streams what is pushed through the seed's port, and closes when the seed stops", async () => {
    await push("before");
    const query = encodeURIComponent('{app="seed"} != "skip"');
    const ws = new WebSocket(`${url.replace("http", "ws")}/loki/api/v1/tail?query=${query}`, {
      headers: { "x-scope-orgid": "t" },
    });
    const lines: string[] = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { streams: { values: [string, string][] }[] };
      for (const s of frame.streams) for (const [, line] of s.values) lines.push(line);
    });
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    await eventually(async () => (lines.length >= 1 ? true : undefined), 10_000, "the history");
    await push("skip me");
    await push("after");
    await eventually(async () => (lines.includes("after") ? true : undefined), 10_000, "the pushed line");
    expect(lines).toEqual(["before", "after"]);
    await stop();
    expect(await closed).toBe(1001);
    stop = async () => {};
  });
});
