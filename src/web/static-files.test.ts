import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "./static-files.js";

/** Raw GET, so that paths like /../x reach the server unnormalised. */
function get(
  port: number,
  path: string,
): Promise<{ status: number; type: string; cache: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"]),
          cache: String(res.headers["cache-control"]),
          body,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("serveStatic", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "mirador-ui-"));
    mkdirSync(join(root, "assets"));
    writeFileSync(join(root, "index.html"), "<html>app</html>");
    writeFileSync(join(root, "assets", "app-1a2b.js"), "console.log(1)");
    writeFileSync(join(tmpdir(), "mirador-secret.txt"), "secret");
    server = createServer((req, res) => {
      if (!serveStatic(root, new URL(req.url ?? "/", "http://x").pathname, res)) res.writeHead(503).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    ["/", "<html>app</html>", "text/html; charset=utf-8", "no-cache"],
    [
      "/assets/app-1a2b.js",
      "console.log(1)",
      "text/javascript; charset=utf-8",
      "public, max-age=31536000, immutable",
    ],
    ["/clusters/demo-1", "<html>app</html>", "text/html; charset=utf-8", "no-cache"],
    ["/%E0%A4%A", "<html>app</html>", "text/html; charset=utf-8", "no-cache"],
    ["/../mirador-secret.txt", "<html>app</html>", "text/html; charset=utf-8", "no-cache"],
    ["/%2e%2e/mirador-secret.txt", "<html>app</html>", "text/html; charset=utf-8", "no-cache"],
  ])("GET %s", async (path, body, type, cache) => {
    expect(await get(port, path)).toEqual({ status: 200, type, cache, body });
  });
});
