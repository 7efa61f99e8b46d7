import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { HttpError } from "../errors.js";
import { basicAuthUser, requestTenants, writeTenant } from "./tenant.js";

const req = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as IncomingMessage;
const basic = (user: string, pass = "x") => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("requestTenants", () => {
  it.each([
    [{ "x-scope-orgid": "a" }, ["a"]],
    [{ "x-scope-orgid": "a|b|a" }, ["a", "b"]],
    [{ authorization: basic("demo-1") }, ["demo-1"]],
    [{ "x-scope-orgid": "a", authorization: basic("b") }, ["a"]],
  ])("%j → %j", (headers, tenants) => expect(requestTenants(req(headers))).toEqual(tenants));

  it.each([
    [{}, "no tenant"],
    [{ "x-scope-orgid": "a b" }, "character outside"],
    [{ authorization: "Bearer abc" }, "no tenant"],
    [{ authorization: basic("", "pw") }, "no tenant"],
  ])("refuses %j with 401", (headers, message) => {
    try {
      requestTenants(req(headers));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(401);
      expect((err as HttpError).message).toContain(message);
    }
  });

  it("lets a write name one tenant only", () => {
    expect(writeTenant(req({ "x-scope-orgid": "a" }))).toBe("a");
    expect(() => writeTenant(req({ "x-scope-orgid": "a|b" }))).toThrow(/exactly one tenant/);
  });

  it("reads the Basic username, with or without a password", () => {
    expect(basicAuthUser(`Basic ${Buffer.from("t1").toString("base64")}`)).toBe("t1");
    expect(basicAuthUser(basic("t1", "a:b"))).toBe("t1");
    expect(basicAuthUser(undefined)).toBeUndefined();
  });
});
