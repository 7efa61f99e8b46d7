import { request } from "node:http";
import type { Socket } from "node:net";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { nopLogger } from "../../lib/log/logger.js";
import { HttpError } from "../errors.js";
import { sendText } from "./reply.js";
import { Router } from "./router.js";
import { HttpServer } from "./server.js";

function get(port: number, path: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (err) => resolve({ error: err.message }));
    });
    req.on("error", (err) => resolve({ error: err.message }));
    req.end();
  });
}

type UpgradeAnswer = { status: number; body: string } | { upgraded: Socket; head: string };

/** Sends an upgrade request (`Upgrade: test`); resolves with a plain answer or the upgraded socket. */
function upgrade(port: number, path: string): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      agent: false,
      headers: { connection: "Upgrade", upgrade: "test" },
    });
    req.on("upgrade", (_res, socket, head) => resolve({ upgraded: socket, head: head.toString() }));
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Takes an upgrade socket: answers 101 and writes `greeting`. */
function accept(socket: import("node:stream").Duplex, greeting: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n${greeting}`);
}

describe("HttpServer", () => {
  let server: HttpServer | undefined;
  afterEach(() => server?.close(0));

  async function start(router: Router): Promise<number> {
    server = new HttpServer({ name: "test", router, logger: nopLogger, metrics: new Registry() });
    return server.listen("127.0.0.1", 0);
  }

  it("maps thrown errors through the registry in the route's style, and 404/405 for unknown routes", async () => {
    const router = new Router();
    router.on("GET", "/json", () => {
      throw new HttpError("bad_data", "nope");
    });
    router.on(
      "POST",
      "/text",
      () => {
        throw new HttpError("too_large", "too big");
      },
      { errors: "text" },
    );
    router.on("GET", "/boom", () => {
      throw new Error("bug");
    });
    const port = await start(router);
    expect(await get(port, "/json")).toEqual({
      status: 400,
      body: '{"status":"error","errorType":"bad_data","error":"nope"}',
    });
    expect(await get(port, "/boom")).toMatchObject({ status: 500 });
    expect(await get(port, "/missing")).toMatchObject({ status: 404 });
    expect(await get(port, "/text")).toMatchObject({ status: 405 });
  });

  it("lets in-flight requests finish when it closes, and refuses new connections", async () => {
    const router = new Router();
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    router.on("GET", "/slow", async (r) => {
      entered();
      await new Promise((res) => setTimeout(res, 300));
      sendText(r.res, 200, "done");
    });
    const port = await start(router);
    const pending = get(port, "/slow");
    await inside;
    const closing = server!.close(5_000);
    expect(await pending).toEqual({ status: 200, body: "done" });
    await closing;
    expect(await get(port, "/slow")).toHaveProperty("error");
  });

  it("cuts requests still running when the grace period ends, aborting their signal", async () => {
    const router = new Router();
    let aborted = false;
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    router.on("GET", "/stuck", async (r) => {
      entered();
      await new Promise<void>((res) => r.signal.addEventListener("abort", () => res()));
      aborted = true;
    });
    const port = await start(router);
    const pending = get(port, "/stuck");
    await inside;
    await server!.close(100);
    expect(await pending).toHaveProperty("error");
    expect(aborted).toBe(true);
  });

  it("answers 503 with Retry-After, not 404, for unknown paths while its routes are not all registered", async () => {
    let ready = false;
    server = new HttpServer({
      name: "test",
      router: new Router(),
      logger: nopLogger,
      metrics: new Registry(),
      routesReady: () => ready,
    });
    const port = await server.listen("127.0.0.1", 0);
    const early = await get(port, "/api/v1/push");
    expect(early).toMatchObject({ status: 503 });
    ready = true;
    expect(await get(port, "/api/v1/push")).toMatchObject({ status: 404 });
  });

  it("hands upgrade requests to the router's upgrade routes, and answers unknown paths 404", async () => {
    const router = new Router();
    router.onUpgrade("/echo/:name", (u) => accept(u.socket, `hello ${u.params.name}`));
    router.onUpgrade("/private", () => {
      throw new HttpError("forbidden", "not for you");
    });
    router.on("GET", "/plain", (r) => sendText(r.res, 200, "plain"));
    const port = await start(router);
    const ok = await upgrade(port, "/echo/bob");
    if (!("upgraded" in ok)) throw new Error(`not upgraded: ${JSON.stringify(ok)}`);
    // The greeting may come with the 101 (head) or just after it.
    let greeting = ok.head;
    if (greeting === "") greeting = String(await new Promise((r) => ok.upgraded.once("data", r)));
    expect(greeting).toBe("hello bob");
    ok.upgraded.destroy();
    expect(await upgrade(port, "/private")).toEqual({ status: 403, body: "not for you\n" });
    expect(await upgrade(port, "/nowhere")).toEqual({
      status: 404,
      body: "no such upgrade endpoint: /nowhere\n",
    });
    // Upgrade routes and request routes are apart.
    expect(await upgrade(port, "/plain")).toMatchObject({ status: 404 });
    expect(await get(port, "/echo/bob")).toMatchObject({ status: 404 });
  });

  it("tells upgraded connections through their signal when it closes, and cuts those that stay", async () => {
    const router = new Router();
    let told = false;
    router.onUpgrade("/polite", (u) => {
      accept(u.socket, "hi");
      u.signal.addEventListener("abort", () => {
        told = true;
        u.socket.end();
      });
    });
    router.onUpgrade("/stubborn", (u) => accept(u.socket, "hi"));
    const port = await start(router);
    const polite = await upgrade(port, "/polite");
    const stubborn = await upgrade(port, "/stubborn");
    if (!("upgraded" in polite) || !("upgraded" in stubborn)) throw new Error("not upgraded");
    const ended = (s: Socket) => new Promise<void>((r) => s.once("close", () => r()));
    const politeEnded = ended(polite.upgraded);
    const stubbornEnded = ended(stubborn.upgraded);
    polite.upgraded.resume();
    stubborn.upgraded.resume();
    await server!.close(100);
    await Promise.all([politeEnded, stubbornEnded]);
    expect(told).toBe(true);
  });
});
