// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import { describe, expect, it } from "vitest";
import { parse as parseYAML } from "yaml";
import { z } from "zod";
import { checkRelabelConfig, type RelabelConfig, RelabelConfigError } from "./config.js";
import type { NameValidation } from "./label-name.js";
import { compileRelabel } from "./program.js";
import { relabelConfigSchema, relabelConfigSchemaFor, relabelConfigsSchema } from "./schema.js";

/** The reason `cfg` is refused under `scheme`, or undefined when it is accepted. */
function reason(cfg: RelabelConfig, scheme: NameValidation = "utf8"): string | undefined {
  try {
    checkRelabelConfig(cfg, scheme);
    return undefined;
  } catch (err) {
    if (err instanceof RelabelConfigError) return err.reason;
    throw err;
  }
}

describe("relabel rule validation (Prometheus's checks and messages)", () => {
  it.each<[RelabelConfig, string]>([
    [{ action: "" }, "relabel action cannot be empty"],
    [{ action: "Foo" }, 'unknown relabel action "Foo"'],
    [{}, "relabel configuration for replace action requires 'target_label' value"],
    [
      { action: "replace", source_labels: ["a"] },
      "relabel configuration for replace action requires 'target_label' value",
    ],
    [{ action: "hashmod", target_label: "x" }, "relabel configuration for hashmod requires non-zero modulus"],
    [
      { action: "HashMod", modulus: 0, target_label: "x" },
      "relabel configuration for hashmod requires non-zero modulus",
    ],
    [
      { action: "hashmod", modulus: 4 },
      "relabel configuration for hashmod action requires 'target_label' value",
    ],
    [{ action: "lowercase" }, "relabel configuration for lowercase action requires 'target_label' value"],
    [{ action: "uppercase" }, "relabel configuration for uppercase action requires 'target_label' value"],
    [{ action: "keepequal" }, "relabel configuration for keepequal action requires 'target_label' value"],
    [{ action: "dropequal" }, "relabel configuration for dropequal action requires 'target_label' value"],
    [
      { action: "lowercase", target_label: "x", replacement: "y" },
      "'replacement' can not be set for lowercase action",
    ],
    [
      { action: "keepequal", target_label: "x", replacement: "" },
      "'replacement' can not be set for keepequal action",
    ],
    [
      { action: "keepequal", target_label: "x", regex: "(.*)" },
      "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      { action: "dropequal", target_label: "x", separator: "," },
      "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      { action: "dropequal", target_label: "x", modulus: 3 },
      "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      { action: "labeldrop", source_labels: [] },
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [
      { action: "labelkeep", target_label: "x" },
      "labelkeep action requires only 'regex', and no other fields",
    ],
    [{ action: "labelkeep", separator: "" }, "labelkeep action requires only 'regex', and no other fields"],
    [
      { action: "labeldrop", replacement: "x" },
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [{ action: "labeldrop", modulus: 1 }, "labeldrop action requires only 'regex', and no other fields"],
    [{ action: "labelmap", replacement: "" }, "\"\" is invalid 'replacement' for labelmap action"],
    [{ target_label: "x", regex: "(a" }, 'error parsing regexp "(a": missing closing )'],
    [
      { target_label: "x", regex: "(?m)^a" },
      'error parsing regexp "(?m)^a": the regular expression flag "m" is not supported',
    ],
    [{ target_label: "x", source_labels: [""] }, '"" is not a valid label name'],
    [{ target_label: "x", modulus: -1 }, "modulus must be a whole number from 0 to 2^53-1, got -1"],
    [{ target_label: "x", modulus: 1.5 }, "modulus must be a whole number from 0 to 2^53-1, got 1.5"],
  ])("%j: %s", (cfg, want) => {
    expect(reason(cfg)).toBe(want);
  });

  it.each<[RelabelConfig, string | undefined, string | undefined]>([
    // config, reason under legacy names, reason under utf8 names
    [{ target_label: "${1}" }, undefined, undefined],
    [{ target_label: "0${3}" }, "\"0${3}\" is invalid 'target_label' for replace action", undefined],
    [{ target_label: "-${3}" }, "\"-${3}\" is invalid 'target_label' for replace action", undefined],
    [{ target_label: "a-b" }, "\"a-b\" is invalid 'target_label' for replace action", undefined],
    [
      { target_label: "app.kubernetes.io/name" },
      "\"app.kubernetes.io/name\" is invalid 'target_label' for replace action",
      undefined,
    ],
    [
      { action: "lowercase", target_label: "${3}" },
      "\"${3}\" is invalid 'target_label' for lowercase action",
      undefined,
    ],
    [
      { action: "keepequal", target_label: "a-b" },
      "\"a-b\" is invalid 'target_label' for keepequal action",
      undefined,
    ],
    [
      { action: "hashmod", modulus: 2, target_label: "a-b" },
      "\"a-b\" is invalid 'target_label' for hashmod action",
      undefined,
    ],
    [
      { action: "labelmap", replacement: "1$1" },
      "\"1$1\" is invalid 'replacement' for labelmap action",
      undefined,
    ],
    [{ action: "labelmap", replacement: "x_$1" }, undefined, undefined],
    [{ target_label: "x", source_labels: ["a-b"] }, '"a-b" is not a valid label name', undefined],
  ])("%j: legacy %j, utf8 %j", (cfg, legacy, utf8) => {
    expect(reason(cfg, "legacy")).toBe(legacy);
    expect(reason(cfg, "utf8")).toBe(utf8);
  });

  it.each<RelabelConfig>([
    { source_labels: ["a"], target_label: "b" },
    { action: "KEEP", source_labels: ["a"], regex: "x" },
    { action: "keepequal", source_labels: ["a"], target_label: "b", separator: ";", replacement: "$1" },
    { action: "labeldrop", regex: "tmp_.*", separator: ";" },
    { action: "labelmap", regex: "__meta_(.+)" },
    { action: "hashmod", source_labels: ["__address__"], modulus: 8, target_label: "__tmp_hash" },
  ])("accepts %j", (cfg) => {
    expect(reason(cfg, "legacy")).toBeUndefined();
  });

  it("names the rule at fault when compiling a list", () => {
    const bad = () => compileRelabel([{ target_label: "x" }, { action: "hashmod", target_label: "y" }]);
    expect(bad).toThrow(RelabelConfigError);
    expect(bad).toThrow("relabel rule 1: relabel configuration for hashmod requires non-zero modulus");
    try {
      bad();
    } catch (err) {
      expect((err as RelabelConfigError).index).toBe(1);
      expect((err as RelabelConfigError).code).toBe("relabel_invalid_config");
    }
  });
});

describe("relabelConfigSchema", () => {
  const yaml = (text: string) => relabelConfigsSchema.safeParse(parseYAML(text));

  it("keeps the rules as written, action lower-cased", () => {
    const r = yaml(`
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
  action: Keep
  regex: true
- source_labels: [__meta_kubernetes_pod_container_port_number]
  regex: 8080
  action: keep
- action: labelmap
  regex: __meta_kubernetes_pod_label_(.+)
- source_labels: [__address__]
  modulus: 4
  target_label: __tmp_hash
  action: hashmod
`);
    expect(r.success).toBe(true);
    expect(r.data).toEqual([
      {
        source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        action: "keep",
        regex: "true",
      },
      { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: "8080", action: "keep" },
      { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
      { source_labels: ["__address__"], modulus: 4, target_label: "__tmp_hash", action: "hashmod" },
    ]);
  });

  it("reads YAML nulls as Prometheus does (the field's zero value)", () => {
    const r = yaml(`
- source_labels: [a]
  target_label: b
  separator:
  regex:
  replacement:
- source_labels:
  action: labeldrop
  regex: x
`);
    expect(r.data).toEqual([
      { source_labels: ["a"], target_label: "b", separator: "", regex: "", replacement: "" },
      { action: "labeldrop", regex: "x" },
    ]);
    expect(yaml("- action:\n  target_label: x\n").error?.issues[0]?.message).toBe(
      "relabel action cannot be empty",
    );
  });

  it("is absent or null: no rules", () => {
    expect(relabelConfigsSchema.parse(undefined)).toEqual([]);
    expect(relabelConfigsSchema.parse(null)).toEqual([]);
  });

  it("reports Prometheus's message at the rule's path", () => {
    const r = yaml(`
- source_labels: [a]
  target_label: b
- action: hashmod
  target_label: c
`);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [[1], "relabel configuration for hashmod requires non-zero modulus"],
    ]);
  });

  it.each([
    ["- target_label: x\n  regexp: a\n", "unrecognized_keys"],
    ["- target_label: x\n  source_labels: a\n", "invalid_type"],
    ["- target_label: x\n  modulus: -1\n", "too_small"],
    ["- target_label: x\n  modulus: 1.5\n", "invalid_type"],
  ])("refuses %j", (text, code) => {
    expect(yaml(text).error?.issues[0]?.code).toBe(code);
  });

  it("validates names under the scheme it was made for", () => {
    const cfg = { target_label: "app.kubernetes.io/name" };
    expect(relabelConfigSchema.safeParse(cfg).success).toBe(true);
    expect(relabelConfigSchemaFor("legacy").safeParse(cfg).error?.issues[0]?.message).toBe(
      "\"app.kubernetes.io/name\" is invalid 'target_label' for replace action",
    );
  });

  it("wires into a scrape config, absent lists read as no rules", () => {
    const scrapeConfig = z.strictObject({
      job_name: z.string(),
      relabel_configs: relabelConfigsSchema,
      metric_relabel_configs: relabelConfigsSchema,
    });
    expect(scrapeConfig.parse({ job_name: "x" })).toEqual({
      job_name: "x",
      relabel_configs: [],
      metric_relabel_configs: [],
    });
    const r = scrapeConfig.safeParse(
      parseYAML("job_name: x\nmetric_relabel_configs:\n  - action: drop\n    regex: (\n"),
    );
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["metric_relabel_configs.0"]);
  });

  it("produces what compileRelabel accepts", () => {
    const r = yaml("- source_labels: [a]\n  target_label: b\n  action: REPLACE\n");
    expect(compileRelabel(r.data!).size).toBe(1);
  });
});
