// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import type { RelabelConfig } from "./config.js";
import { compileRelabel } from "./program.js";

describe("properties", () => {
  const name = fc.string({ unit: fc.constantFrom(..."abc_x"), minLength: 1, maxLength: 4 });
  const value = fc.string({ unit: fc.constantFrom(..."abc;:-/1\n"), maxLength: 5 });
  const labelSet = fc.dictionary(name, value, { maxKeys: 8 }).map((r) => Labels.fromRecord(r));
  const pattern = fc.constantFrom(
    "",
    ".*",
    "(.*)",
    "(.+)",
    "a",
    "a|b",
    "a.*",
    "a(.+)",
    "[ab]+",
    "(?i)A.*",
    "x(.*)",
    ".*;.*",
    "b?c*",
  );

  it("keep then drop with the same regex drops everything", () => {
    fc.assert(
      fc.property(labelSet, pattern, fc.array(name, { maxLength: 3 }), (labels, regex, sources) => {
        const program = compileRelabel([
          { source_labels: sources, regex, action: "keep" },
          { source_labels: sources, regex, action: "drop" },
        ]);
        expect(program.apply(labels)).toBeUndefined();
      }),
    );
  });

  it("labelmap of prefix(.*) to $1 copies every prefixed label without the prefix", () => {
    fc.assert(
      fc.property(
        labelSet,
        fc.dictionary(
          name,
          value.filter((v) => v !== ""),
        ),
        (others, prefixed) => {
          const input = Labels.fromPairs([
            ...others.pairs,
            ...Object.entries(prefixed).flatMap(([n, v]) => [`__meta_${n}`, v]),
          ]);
          const out = compileRelabel([{ action: "labelmap", regex: "__meta_(.*)", replacement: "$1" }]).apply(
            input,
          )!;
          input.forEach((n, v) => {
            if (n.startsWith("__meta_")) {
              expect(out.get(n)).toBe(v);
              expect(out.get(n.slice(7))).toBe(v);
            } else if (!input.has(`__meta_${n}`)) expect(out.get(n)).toBe(v);
          });
          out.forEach((n) => {
            expect(input.has(n) || input.has(`__meta_${n}`)).toBe(true);
          });
        },
      ),
    );
  });

  it("labelmap of (.*) to $1 changes nothing", () => {
    fc.assert(
      fc.property(labelSet, (labels) => {
        const out = compileRelabel([{ action: "labelmap", regex: "(.*)", replacement: "$1" }]).apply(labels)!;
        expect(out.equals(labels)).toBe(true);
      }),
    );
  });

  it("labelkeep and labeldrop with one regex split a label set in two", () => {
    fc.assert(
      fc.property(labelSet, pattern, (labels, regex) => {
        const kept = compileRelabel([{ action: "labelkeep", regex }]).apply(labels)!;
        const dropped = compileRelabel([{ action: "labeldrop", regex }]).apply(labels)!;
        expect(kept.size + dropped.size).toBe(labels.size);
        expect(Labels.fromPairs([...kept.pairs, ...dropped.pairs]).equals(labels)).toBe(true);
      }),
    );
  });

  it("hashmod always gives a shard below the modulus", () => {
    fc.assert(
      fc.property(labelSet, fc.integer({ min: 1, max: 1000 }), (labels, modulus) => {
        const out = compileRelabel([
          { action: "hashmod", source_labels: ["a", "b"], modulus, target_label: "shard" },
        ]).apply(labels)!;
        const shard = Number(out.get("shard"));
        expect(Number.isInteger(shard) && shard >= 0 && shard < modulus).toBe(true);
      }),
    );
  });

  it("any program yields a sorted label set with unique names and no empty values, or drops it", () => {
    const rule: fc.Arbitrary<RelabelConfig> = fc.oneof(
      fc.record({
        source_labels: fc.array(name, { maxLength: 2 }),
        regex: pattern,
        target_label: name,
        replacement: fc.constantFrom("$1", "", "x", "${1}_$0", "$2"),
      }),
      fc.record({
        source_labels: fc.array(name, { maxLength: 2 }),
        regex: pattern,
        action: fc.constantFrom("keep", "drop"),
      }),
      fc.record({
        source_labels: fc.array(name, { maxLength: 2 }),
        target_label: name,
        action: fc.constantFrom("keepequal", "dropequal", "lowercase", "uppercase"),
      }),
      fc.record({
        source_labels: fc.array(name, { maxLength: 2 }),
        target_label: name,
        modulus: fc.integer({ min: 1, max: 5 }),
        action: fc.constant("hashmod"),
      }),
      fc.record({ regex: pattern, action: fc.constantFrom("labeldrop", "labelkeep") }),
      fc.record({
        regex: pattern,
        replacement: fc.constantFrom("$1", "m_$1", "${0}x"),
        action: fc.constant("labelmap"),
      }),
    );
    fc.assert(
      fc.property(labelSet, fc.array(rule, { maxLength: 8 }), (labels, rules) => {
        const out = compileRelabel(rules).apply(labels);
        if (out === undefined) return;
        const p = out.pairs;
        for (let i = 0; i < p.length; i += 2) {
          expect(p[i]).not.toBe("");
          expect(p[i + 1]).not.toBe("");
          if (i > 0) expect(p[i - 2]! < p[i]!).toBe(true);
        }
      }),
    );
  });
});
