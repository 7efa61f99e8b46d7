import { tenantIdProblem } from "../model/tenant.js";
import { type ClusterLimits, type Flow, RegistryError } from "./model.js";

/** A label name as Prometheus allows it. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Longest project description accepted, in characters. */
export const MAX_DESCRIPTION_LENGTH = 1024;

/** Throws `invalid` unless `name` can name a project or cluster (both are tenant ids). */
export function checkName(what: "project" | "cluster", name: unknown): string {
  if (typeof name !== "string") throw new RegistryError("invalid", `a ${what} name must be a string`);
  const problem = tenantIdProblem(name);
  if (problem !== undefined) {
    throw new RegistryError(
      "invalid",
      `invalid ${what} name ${JSON.stringify(name)}: ${what} names are tenant ids (1 to 150 of a-z A-Z 0-9 ! - _ . * ' ( ), not "." or ".."): ${problem}`,
    );
  }
  return name;
}

/** Throws `invalid` unless `description` is text of at most {@link MAX_DESCRIPTION_LENGTH} characters. */
export function checkDescription(description: unknown): string {
  if (typeof description !== "string" || description.length > MAX_DESCRIPTION_LENGTH) {
    throw new RegistryError(
      "invalid",
      `a project description must be text of at most ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }
  return description;
}

/**
 * Throws `invalid` unless `labels` maps Prometheus label names (`[a-zA-Z_][a-zA-Z0-9_]*`, not
 * starting with `__`, which Prometheus reserves) to strings. `what` names them in messages.
 */
export function checkLabels(labels: unknown, what: string): Record<string, string> {
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    throw new RegistryError("invalid", `${what} must be a mapping of label names to values`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new RegistryError(
        "invalid",
        `${what}: ${JSON.stringify(name)} is not a label name (letters, digits and _, not starting with a digit or "__")`,
      );
    }
    if (typeof value !== "string") {
      throw new RegistryError("invalid", `${what}: the value of ${name} must be a string`);
    }
    out[name] = value;
  }
  return out;
}

/** The limit fields that must be whole numbers (bucket and body sizes); the rates may be fractional. */
const WHOLE_LIMITS: ReadonlySet<keyof ClusterLimits> = new Set([
  "samples_burst",
  "log_bytes_burst",
  "max_body_bytes",
]);
const LIMIT_NAMES: readonly (keyof ClusterLimits)[] = [
  "samples_per_second",
  "samples_burst",
  "log_bytes_per_second",
  "log_bytes_burst",
  "max_body_bytes",
];

/** Throws `invalid` unless `limits` sets known limits to numbers ≥ 0 (0 = unlimited). */
export function checkLimits(limits: unknown): Partial<ClusterLimits> {
  if (typeof limits !== "object" || limits === null || Array.isArray(limits)) {
    throw new RegistryError("invalid", "limits must be a mapping of limit names to numbers");
  }
  const out: Partial<Record<keyof ClusterLimits, number>> = {};
  for (const [name, value] of Object.entries(limits)) {
    const key = LIMIT_NAMES.find((n) => n === name);
    if (key === undefined) {
      throw new RegistryError(
        "invalid",
        `unknown limit ${JSON.stringify(name)}; the limits are ${LIMIT_NAMES.join(", ")}`,
      );
    }
    const whole = WHOLE_LIMITS.has(key);
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      value < 0 ||
      (whole && !Number.isSafeInteger(value))
    ) {
      throw new RegistryError(
        "invalid",
        `limit ${name} must be a ${whole ? "whole number" : "number"} ≥ 0 (0 means unlimited), got ${JSON.stringify(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** Throws `invalid` unless `value` is a boolean; `flow` names the switch. */
export function checkFlow(flow: Flow, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new RegistryError("invalid", `the ${flow} flow must be true or false`);
  return value;
}

/** Throws `invalid` unless `seed` is a non-empty string. */
export function checkSeed(seed: unknown): string {
  if (typeof seed !== "string" || seed === "") {
    throw new RegistryError("invalid", "a cluster's seed must be a non-empty seed name");
  }
  return seed;
}
