import { z } from "zod";
import { checkRelabelConfig, type RelabelConfig, RelabelConfigError } from "./config.js";
import type { NameValidation } from "./label-name.js";

/**
 * A string field. Like Prometheus's YAML reader, a number or boolean is taken as its text
 * (`regex: 8080`); note that YAML has already normalised it (`1.0` arrives as the number 1, "1").
 */
const text = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
/** A string field where YAML's null (`separator:` with nothing after it) is Prometheus's zero value, "". */
const textField = text
  .nullable()
  .optional()
  .transform((v) => (v === null ? "" : v));

/**
 * The schema of one relabel rule (an element of `relabel_configs` or `metric_relabel_configs`),
 * validating names under `scheme`. Its output is the rule as written (action lower-cased, YAML nulls
 * read as Prometheus reads them), ready for {@link compileRelabel}; it refuses what Prometheus
 * refuses, with Prometheus's messages, and unknown keys.
 */
export function relabelConfigSchemaFor(scheme: NameValidation) {
  return z
    .strictObject({
      source_labels: z
        .array(text)
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      separator: textField,
      regex: textField,
      modulus: z
        .number({ error: "modulus must be a whole number" })
        .int({ error: "modulus must be a whole number" })
        .min(0, { error: "modulus must not be negative" })
        .max(Number.MAX_SAFE_INTEGER, { error: "modulus must be at most 2^53-1" })
        .nullable()
        .optional()
        .transform((v) => (v === null ? 0 : v)),
      target_label: textField,
      replacement: textField,
      action: textField,
    })
    .transform((raw, ctx): RelabelConfig => {
      const cfg: { -readonly [K in keyof RelabelConfig]: RelabelConfig[K] } = {};
      if (raw.source_labels !== undefined) cfg.source_labels = raw.source_labels;
      if (raw.separator !== undefined) cfg.separator = raw.separator;
      if (raw.regex !== undefined) cfg.regex = raw.regex;
      if (raw.modulus !== undefined) cfg.modulus = raw.modulus;
      if (raw.target_label !== undefined) cfg.target_label = raw.target_label;
      if (raw.replacement !== undefined) cfg.replacement = raw.replacement;
      if (raw.action !== undefined) cfg.action = raw.action.toLowerCase();
      try {
        checkRelabelConfig(raw.action === undefined ? cfg : { ...cfg, action: raw.action }, scheme);
      } catch (err) {
        if (!(err instanceof RelabelConfigError)) throw err;
        ctx.addIssue({ code: "custom", message: err.reason, input: raw });
        return z.NEVER;
      }
      return cfg;
    });
}

/** One relabel rule, label names judged as Prometheus 3 does by default (`utf8`). See {@link relabelConfigSchemaFor}. */
export const relabelConfigSchema = relabelConfigSchemaFor("utf8");

/** A list of relabel rules; absent or null is no rules. */
export const relabelConfigsSchema = z
  .array(relabelConfigSchema)
  .nullable()
  .optional()
  .transform((v): RelabelConfig[] => v ?? []);
