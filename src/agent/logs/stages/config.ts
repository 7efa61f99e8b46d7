/**
 * Reading the YAML-decoded configuration of one stage with errors that name the path of the field
 * (`pipeline_stages[3].regex.expression`), what was found and what is allowed.
 */
import { parseBytes, parseGoDurationSeconds } from "../../../logs/logql/index.js";

/** A stage configuration that cannot be compiled; `path` names the offending field. */
export class StageConfigError extends Error {
  override readonly name = "StageConfigError";
  /** Stable code for the agent's error registry. */
  readonly code = "LOG_PIPELINE_CONFIG";

  constructor(
    /** Path of the field, e.g. `pipeline_stages[3].regex.expression`. */
    readonly path: string,
    /** What is wrong and what is allowed. */
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** A short description of a YAML value for error messages. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Typed access to the fields of one mapping. Every field read is remembered so {@link done} can
 * reject the unknown ones (a misspelt option fails loudly instead of being ignored).
 */
export class ConfigReader {
  readonly #seen = new Set<string>();
  readonly #obj: Readonly<Record<string, unknown>>;

  constructor(
    /** Path of this mapping, e.g. `pipeline_stages[3].regex`. */
    readonly path: string,
    value: unknown,
  ) {
    if (value === null || value === undefined) value = {};
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new StageConfigError(path, `expected a mapping of options, found ${describe(value)}`);
    }
    this.#obj = value as Record<string, unknown>;
  }

  /** An error about field `field` (or the mapping itself when omitted). */
  error(field: string | undefined, detail: string): StageConfigError {
    return new StageConfigError(field === undefined ? this.path : `${this.path}.${field}`, detail);
  }

  #get(field: string): unknown {
    this.#seen.add(field);
    const v = this.#obj[field];
    return v === null ? undefined : v;
  }

  /** A string field, or undefined when absent. Numbers and booleans are taken as their text, as YAML users expect. */
  optString(field: string): string | undefined {
    const v = this.#get(field);
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw this.error(field, `expected a string, found ${describe(v)}`);
  }

  /** A required non-empty string field. */
  string(field: string, allowed = "a non-empty string"): string {
    const v = this.optString(field);
    if (v === undefined || v === "") throw this.error(field, `is required: ${allowed}`);
    return v;
  }

  /** A boolean field with a default. */
  bool(field: string, dflt: boolean): boolean {
    const v = this.#get(field);
    if (v === undefined) return dflt;
    if (typeof v === "boolean") return v;
    throw this.error(field, `expected true or false, found ${describe(v)}`);
  }

  /** A finite number field ≥ `min`, or undefined when absent. */
  optNumber(field: string, min: number, integer = false): number | undefined {
    const v = this.#get(field);
    if (v === undefined) return undefined;
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw this.error(
        field,
        `expected ${integer ? "an integer" : "a number"} ≥ ${min}, found ${describe(v)}`,
      );
    }
    return n;
  }

  /** A Go duration (`3s`, `1h30m`) in milliseconds, or undefined when absent. */
  optDurationMs(field: string): number | undefined {
    const v = this.optString(field);
    if (v === undefined) return undefined;
    const s = parseGoDurationSeconds(v);
    if (s === undefined)
      throw this.error(field, `expected a duration such as 3s, 500ms or 1h, found ${describe(v)}`);
    return s * 1000;
  }

  /** A byte size (`1KB`, `4KiB`, or a plain number of bytes), or undefined when absent. */
  optBytes(field: string): number | undefined {
    const v = this.optString(field);
    if (v === undefined) return undefined;
    if (/^\d+$/.test(v)) return Number(v);
    try {
      return parseBytes(v);
    } catch {
      throw this.error(field, `expected a size such as 4096, 16KB or 1MiB, found ${describe(v)}`);
    }
  }

  /** A mapping of strings to strings (`labels`, `mapping`); an empty value means the key itself when `emptyIsKey`. */
  optStringMap(field: string, emptyIsKey: boolean): Map<string, string> | undefined {
    const v = this.#get(field);
    if (v === undefined) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) {
      throw this.error(field, `expected a mapping of names to strings, found ${describe(v)}`);
    }
    const out = new Map<string, string>();
    for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
      if (raw === null || raw === undefined || raw === "") {
        if (!emptyIsKey) throw this.error(`${field}.${k}`, "needs a value");
        out.set(k, k);
      } else if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") {
        out.set(k, String(raw));
      } else {
        throw this.error(`${field}.${k}`, `expected a string, found ${describe(raw)}`);
      }
    }
    return out;
  }

  /** A list of strings; a single string is taken as a list of one. */
  optStringList(field: string): string[] | undefined {
    const v = this.#get(field);
    if (v === undefined) return undefined;
    if (typeof v === "string") return [v];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      throw this.error(field, `expected a list of strings, found ${describe(v)}`);
    }
    return v as string[];
  }

  /**
   * The whole mapping as names to strings, for stages whose body is the mapping itself (`labels`,
   * `static_labels`, `structured_metadata`). An empty value means the name itself when `emptyIsKey`.
   * Names failing `validName` are rejected.
   */
  bodyStringMap(emptyIsKey: boolean, allowed: string, validName: (n: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, raw] of Object.entries(this.#obj)) {
      this.#seen.add(k);
      if (!validName(k)) throw this.error(k, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
      if (raw === null || raw === undefined || raw === "") {
        if (!emptyIsKey) throw this.error(k, "needs a value");
        out.push([k, k]);
      } else if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") {
        out.push([k, String(raw)]);
      } else {
        throw this.error(k, `expected a string, found ${describe(raw)}`);
      }
    }
    if (out.length === 0) throw this.error(undefined, `is empty: expected ${allowed}`);
    return out;
  }

  /** A raw field (for nested stage lists). */
  raw(field: string): unknown {
    return this.#get(field);
  }

  /** Rejects fields that were never read. Call once all fields are read. */
  done(): void {
    for (const k of Object.keys(this.#obj)) {
      if (!this.#seen.has(k)) {
        const known = [...this.#seen].sort().join(", ");
        throw this.error(k, `unknown option; this stage accepts: ${known === "" ? "no options" : known}`);
      }
    }
  }
}
