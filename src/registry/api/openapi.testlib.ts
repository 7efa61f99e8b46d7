import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { REGISTRY_API_PREFIX } from "./registry-api.js";

/** The registry API's description, beside the other API documents. */
export const OPENAPI_PATH = fileURLToPath(new URL("../../../docs/api/openapi.yaml", import.meta.url));

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

interface MediaType {
  readonly schema?: unknown;
}
interface ResponseObject {
  readonly $ref?: string;
  readonly content?: Record<string, MediaType>;
}
interface Operation {
  readonly responses: Record<string, ResponseObject>;
}
interface Document {
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: { schemas: Record<string, unknown>; responses: Record<string, ResponseObject> };
}

/** One documented operation: `GET /clusters/{name}` (paths relative to the API prefix). */
export interface DocumentedOperation {
  readonly method: string;
  readonly path: string;
}

/** Refs of the document (`#/components/schemas/X`) as refs into the schema Ajv holds (`openapi#/$defs/X`). */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === "$ref" && typeof v === "string"
        ? v.replace("#/components/schemas/", "openapi#/$defs/")
        : rewriteRefs(v);
  }
  return out;
}

/**
 * Checks HTTP answers against `docs/api/openapi.yaml`: the path and method must be documented, the
 * status listed for the operation, the content type one of the response's and the body valid
 * against its schema (JSON Schema 2020-12, through Ajv). Any miss throws, naming what is missing.
 */
export class OpenApiChecker {
  readonly #doc: Document;
  readonly #ajv = new Ajv2020({ allErrors: true, strict: true });
  readonly #compiled = new Map<unknown, ValidateFunction>();
  /** Operations a checked answer belonged to: `GET /clusters/{name}`. */
  readonly exercised = new Set<string>();

  constructor(path = OPENAPI_PATH) {
    this.#doc = parse(readFileSync(path, "utf8")) as Document;
    this.#ajv.addFormat("date-time", {
      type: "string",
      validate: (s: string) =>
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
    });
    this.#ajv.addSchema({ $id: "openapi", $defs: rewriteRefs(this.#doc.components.schemas) });
  }

  /** Every operation of the document. */
  operations(): DocumentedOperation[] {
    const out: DocumentedOperation[] = [];
    for (const [path, item] of Object.entries(this.#doc.paths))
      for (const m of METHODS) if (item[m] !== undefined) out.push({ method: m.toUpperCase(), path });
    return out;
  }

  /** The documented path template a request path (with the API prefix) matches, literal segments first. */
  template(pathname: string): string | undefined {
    if (!pathname.startsWith(`${REGISTRY_API_PREFIX}/`)) return undefined;
    const parts = pathname.slice(REGISTRY_API_PREFIX.length).split("/").filter(Boolean);
    let best: { path: string; literals: number } | undefined;
    for (const path of Object.keys(this.#doc.paths)) {
      const segs = path.split("/").filter(Boolean);
      if (segs.length !== parts.length) continue;
      let literals = 0;
      const fits = segs.every((s, i) => {
        if (s.startsWith("{")) return true;
        literals++;
        return s === decodeURIComponent(parts[i]!);
      });
      if (fits && (!best || literals > best.literals)) best = { path, literals };
    }
    return best?.path;
  }

  /** Throws unless the answer (`status`, `contentType`, raw `body`) to `method pathname` is documented. */
  check(method: string, pathname: string, status: number, contentType: string | null, body: string): void {
    const where = `${method} ${pathname}`;
    const template = this.template(pathname);
    if (template === undefined) throw new Error(`${where}: no path of the OpenAPI document matches`);
    const op = this.#doc.paths[template]![method.toLowerCase()] as Operation | undefined;
    if (op === undefined) throw new Error(`${where}: ${method} is not documented for ${template}`);
    this.exercised.add(`${method} ${template}`);
    let response = op.responses[String(status)];
    if (response === undefined)
      throw new Error(`${where}: status ${status} is not documented (body: ${body.slice(0, 300)})`);
    if (response.$ref !== undefined) {
      const name = response.$ref.replace("#/components/responses/", "");
      response = this.#doc.components.responses[name];
      if (response === undefined) throw new Error(`${where}: response ${name} is not in components`);
    }
    if (response.content === undefined) {
      if (body !== "") throw new Error(`${where}: status ${status} is documented without a body, got one`);
      return;
    }
    const type = (contentType ?? "").split(";")[0]!.trim();
    const media = response.content[type];
    if (media === undefined)
      throw new Error(
        `${where}: content type ${JSON.stringify(type)} is not documented for status ${status}`,
      );
    if (media.schema === undefined) throw new Error(`${where}: status ${status} ${type} has no schema`);
    const value = type.endsWith("json") ? (JSON.parse(body) as unknown) : body;
    const validate = this.#validator(media.schema);
    if (!validate(value)) {
      const errors = this.#ajv.errorsText(validate.errors, { separator: "; " });
      throw new Error(
        `${where}: status ${status} body does not match the document: ${errors}\n${body.slice(0, 600)}`,
      );
    }
  }

  #validator(schema: unknown): ValidateFunction {
    let v = this.#compiled.get(schema);
    if (!v) {
      v = this.#ajv.compile(rewriteRefs(schema) as object);
      this.#compiled.set(schema, v);
    }
    return v;
  }
}
