import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Handler } from "../../server/http/router.js";
import { FakeRegistry } from "./fake-registry.testlib.js";
import { OPENAPI_PATH, OpenApiChecker } from "./openapi.testlib.js";
import { REGISTRY_API_PREFIX, registerRegistryApi } from "./registry-api.js";

/** Every route `registerRegistryApi` adds, as `METHOD /path/{param}` relative to the prefix. */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  const recorder = {
    on(methods: string | readonly string[], pattern: string, _handler: Handler) {
      for (const m of typeof methods === "string" ? [methods] : methods) routes.push(`${m} ${pattern}`);
    },
  };
  registerRegistryApi(recorder, new FakeRegistry(), { caPem: () => "" });
  return routes.map((r) => {
    const [method, pattern] = r.split(" ") as [string, string];
    expect(pattern.startsWith(`${REGISTRY_API_PREFIX}/`), pattern).toBe(true);
    const path = pattern.slice(REGISTRY_API_PREFIX.length).replace(/:([A-Za-z_]+)/g, "{$1}");
    return `${method} ${path}`;
  });
}

describe("docs/api/openapi.yaml", () => {
  const checker = new OpenApiChecker();

  it("documents every route of the registry API, and no other", () => {
    const routes = registeredRoutes().sort();
    const documented = checker
      .operations()
      .map((o) => `${o.method} ${o.path}`)
      .sort();
    expect(documented).toEqual(routes);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("is OpenAPI 3.1 with the API prefix as its server", () => {
    const doc = parse(readFileSync(OPENAPI_PATH, "utf8")) as { openapi: string; servers: { url: string }[] };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(new URL(doc.servers[0]!.url).pathname).toBe(REGISTRY_API_PREFIX);
  });

  it.each([
    ["/api/mirador/v1/clusters/a/certificates/rotate", "/clusters/{name}/certificates/rotate"],
    ["/api/mirador/v1/clusters/a/certificates", "/clusters/{name}/certificates"],
    ["/api/mirador/v1/clusters/rotate", "/clusters/{name}"],
    ["/api/mirador/v1/status", "/status"],
    ["/api/v1/query", undefined],
  ])("matches %s to %s", (path, template) => {
    expect(checker.template(path)).toBe(template);
  });

  it("fails an answer whose status, content type or body the document does not list", () => {
    const cluster = "/api/mirador/v1/clusters/a";
    expect(() => checker.check("GET", cluster, 418, "application/json", "{}")).toThrow(/status 418/);
    expect(() => checker.check("GET", cluster, 200, "text/plain", "x")).toThrow(/content type "text\/plain"/);
    expect(() => checker.check("GET", cluster, 200, "application/json", '{"name":"a"}')).toThrow(/required/);
    expect(() => checker.check("PUT", "/api/mirador/v1/projects", 200, "application/json", "{}")).toThrow(
      /PUT is not documented/,
    );
    expect(() => checker.check("GET", "/api/mirador/v1/nothing", 200, "application/json", "{}")).toThrow(
      /no path/,
    );
    expect(() => checker.check("DELETE", "/api/mirador/v1/projects/p", 204, null, "")).not.toThrow();
  });
});
