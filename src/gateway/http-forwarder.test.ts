import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TENANT_HEADER } from "../model/tenant.js";
import { HttpRoleForwarder, type HttpRoleForwarderKind } from "./http-forwarder.js";

class Refused extends Error {}

/** Counts the body's bytes; a body starting with "x" is refused, one starting with "!" breaks. */
const KIND: HttpRoleForwarderKind = {
  role: "test ingest",
  count(_type, _encoding, body, max) {
    if (body[0] === 0x78) throw new Refused("not ours");
    if (body[0] === 0x21) throw new TypeError("a bug");
    return Math.min(body.length, max);
  },
  refusal: Refused,
  passOn: (name) => name === "retry-after" || name.startsWith("x-keep-"),
};

interface Seen {
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let url: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(429, { "retry-after": "7", "x-keep-this": "yes", "x-drop-this": "no" });
      res.end("slow down\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const bytes = (s: string) => new TextEncoder().encode(s);

describe("HttpRoleForwarder", () => {
  it("admits the count, posts the body with the tenant and content headers, and hands back the answer", async () => {
    const admitted: number[] = [];
    const f = new HttpRoleForwarder(url, KIND, { maxDecompressedBytes: 3 });
    const got = await f.forward("acme", "application/x-test", "snappy", bytes("hello"), (n) =>
      admitted.push(n),
    );
    expect(admitted).toEqual([3]);
    expect(got).toEqual({
      status: 429,
      body: "slow down\n",
      headers: { "retry-after": "7", "x-keep-this": "yes" },
    });
    const last = seen.at(-1);
    expect(last?.body).toBe("hello");
    expect(last?.headers[TENANT_HEADER]).toBe("acme");
    expect(last?.headers["content-type"]).toBe("application/x-test");
    expect(last?.headers["content-encoding"]).toBe("snappy");
  });

  it("forwards a body it cannot count without calling admit, and without content headers it was not given", async () => {
    const admitted: number[] = [];
    const got = await new HttpRoleForwarder(url, KIND).forward(
      "acme",
      undefined,
      undefined,
      bytes("x"),
      (n) => admitted.push(n),
    );
    expect(admitted).toEqual([]);
    expect(got.status).toBe(429);
    expect(seen.at(-1)?.headers["content-encoding"]).toBeUndefined();
  });

  it("rejects when admit refuses, before anything is sent", async () => {
    const before = seen.length;
    const f = new HttpRoleForwarder(url, KIND);
    const refusal = new Error("over the limit");
    await expect(
      f.forward("acme", undefined, undefined, bytes("hello"), () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(seen.length).toBe(before);
  });

  it("lets an error other than the refusal out of count", async () => {
    const f = new HttpRoleForwarder(url, KIND);
    await expect(f.forward("acme", undefined, undefined, bytes("!"), () => {})).rejects.toThrow(TypeError);
  });

  it("answers 503 naming the role and its URL when the role is unreachable", async () => {
    const f = new HttpRoleForwarder("http://127.0.0.1:9/push", KIND);
    const got = await f.forward("acme", undefined, undefined, bytes("hello"), () => {});
    expect(got.status).toBe(503);
    expect(got.body).toMatch(/^test ingest at http:\/\/127\.0\.0\.1:9\/push is unreachable: /);
    expect(got.headers).toEqual({});
  });
});
