// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { compileRelabel } from "./program.js";
import { type Outcome, relabel } from "./relabel.testlib.js";

describe("actions", () => {
  const in3 = { a: "foo", b: "bar", c: "baz" };
  it.each<[string, string, Record<string, string>, Outcome]>([
    // replace
    [
      "replace with a template",
      "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
      in3,
      { ...in3, d: "choo-choo" },
    ],
    [
      "replace over two sources, then from the result",
      `
- {source_labels: [a, b], regex: "f(.*);(.*)r", target_label: a, replacement: "b\${1}\${2}m"}
- {source_labels: [c, a], regex: "(b).*b(.*)ba(.*)", target_label: d, replacement: "$1$2$2$3"}`,
      in3,
      { a: "boobam", b: "bar", c: "baz", d: "boooom" },
    ],
    [
      "replace: no match, no change",
      "- {source_labels: [a], regex: f, target_label: b, replacement: bar}",
      { a: "boo" },
      { a: "boo" },
    ],
    [
      "replace: a partial match is no match",
      "- {source_labels: [a], regex: o, target_label: b}",
      { a: "foo" },
      { a: "foo" },
    ],
    [
      "replace: the defaults copy a label",
      "- {source_labels: [a], target_label: b}",
      in3,
      { ...in3, b: "foo" },
    ],
    [
      "replace: an empty result deletes the target",
      "- {source_labels: [missing], target_label: a}",
      in3,
      { b: "bar", c: "baz" },
    ],
    [
      "replace: no sources sets a constant",
      "- {target_label: env, replacement: prod}",
      { a: "x" },
      { a: "x", env: "prod" },
    ],
    [
      "replace: the separator joins sources",
      "- {source_labels: [a, b, c], separator: '', target_label: d}",
      in3,
      { ...in3, d: "foobarbaz" },
    ],
    [
      "replace: a missing source joins as empty",
      "- {source_labels: [a, z, c], target_label: d}",
      in3,
      { ...in3, d: "foo;;baz" },
    ],
    [
      "replace: target from a group",
      "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', target_label: '${1}', replacement: '${2}'}",
      { a: "some-name-value" },
      { a: "some-name-value", name: "value" },
    ],
    [
      "replace: a target that expands to nothing changes nothing",
      "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', target_label: '${3}', replacement: '${1}'}",
      { a: "some-name-0" },
      { a: "some-name-0" },
    ],
    [
      "replace: $1x is the group named 1x, which is empty",
      "- {source_labels: [a], regex: 'f(.*)', target_label: b, replacement: '$1x'}",
      { a: "foo", b: "old" },
      { a: "foo" },
    ],
    [
      "replace: ${1}x",
      "- {source_labels: [a], regex: 'f(.*)', target_label: b, replacement: '${1}x'}",
      { a: "foo" },
      { a: "foo", b: "oox" },
    ],
    [
      "replace: $$ is a dollar",
      "- {source_labels: [a], target_label: b, replacement: 'US$$ $1'}",
      { a: "5" },
      { a: "5", b: "US$ 5" },
    ],
    [
      "replace: named groups",
      "- {source_labels: [a], regex: '(?P<host>[^:]+):(?P<port>\\d+)', target_label: b, replacement: '$port/${host}'}",
      { a: "h:80" },
      { a: "h:80", b: "80/h" },
    ],
    [
      "replace: . matches a newline",
      "- {source_labels: [a], regex: 'foo.bar', target_label: b, replacement: ok}",
      { a: "foo\nbar" },
      { a: "foo\nbar", b: "ok" },
    ],
    [
      "replace: case-insensitive RE2 flag",
      "- {source_labels: [a], regex: '(?i)FOO', target_label: b, replacement: ok}",
      { a: "foo" },
      { a: "foo", b: "ok" },
    ],
    [
      "replace: __tmp_ labels are ordinary",
      "- {source_labels: [a], target_label: __tmp_a}\n- {source_labels: [__tmp_a], target_label: b}",
      { a: "x" },
      { a: "x", __tmp_a: "x", b: "x" },
    ],
    // keep, drop
    ["keep: match", "- {source_labels: [a], regex: f.*, action: keep}", { a: "foo" }, { a: "foo" }],
    ["keep: no match", "- {source_labels: [a], regex: no-match, action: keep}", { a: "foo" }, "dropped"],
    [
      "keep: an absent label is the empty string",
      "- {source_labels: [z], regex: '', action: keep}",
      { a: "foo" },
      { a: "foo" },
    ],
    ["drop: match", "- {source_labels: [a], regex: .*o.*, action: drop}", { a: "foo", b: "bar" }, "dropped"],
    [
      "drop: anchored, so f|o does not match foo",
      "- {source_labels: [a], regex: f|o, action: drop}",
      { a: "foo" },
      { a: "foo" },
    ],
    [
      "drop stops the list",
      "- {source_labels: [a], regex: .*o.*, action: drop}\n- {source_labels: [a], target_label: d}",
      { a: "foo" },
      "dropped",
    ],
    // keepequal, dropequal
    [
      "keepequal: equal",
      "- {source_labels: [__tmp_port], target_label: __port1, action: keepequal}",
      { __tmp_port: "1234", __port1: "1234" },
      { __tmp_port: "1234", __port1: "1234" },
    ],
    [
      "keepequal: different",
      "- {source_labels: [__tmp_port], target_label: __port2, action: keepequal}",
      { __tmp_port: "1234", __port2: "5678" },
      "dropped",
    ],
    [
      "keepequal: both absent are equal",
      "- {source_labels: [x], target_label: y, action: keepequal}",
      { a: "1" },
      { a: "1" },
    ],
    [
      "dropequal: equal",
      "- {source_labels: [__tmp_port], target_label: __port1, action: dropequal}",
      { __tmp_port: "1234", __port1: "1234" },
      "dropped",
    ],
    [
      "dropequal: different",
      "- {source_labels: [__tmp_port], target_label: __port2, action: dropequal}",
      { __tmp_port: "1234", __port2: "5678" },
      { __tmp_port: "1234", __port2: "5678" },
    ],
    // hashmod
    [
      "hashmod",
      "- {source_labels: [c], target_label: d, modulus: 1000, action: hashmod}",
      in3,
      { ...in3, d: "976" },
    ],
    [
      "hashmod of a value with a newline",
      "- {source_labels: [a], target_label: b, modulus: 1000, action: hashmod}",
      { a: "foo\nbar" },
      { a: "foo\nbar", b: "734" },
    ],
    // labelmap
    [
      "labelmap",
      "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
      { a: "foo", b1: "bar", b2: "baz" },
      { a: "foo", b1: "bar", b2: "baz", bar_b1: "bar", bar_b2: "baz" },
    ],
    [
      "labelmap with the default replacement",
      "- {regex: '__meta_(my.*)', action: labelmap}",
      { a: "foo", __meta_my_bar: "aaa", __meta_other: "ccc" },
      { a: "foo", __meta_my_bar: "aaa", __meta_other: "ccc", my_bar: "aaa" },
    ],
    [
      "labelmap overwrites an existing label",
      "- {regex: 'src_(.+)', action: labelmap}",
      { src_job: "inner", job: "outer" },
      { src_job: "inner", job: "inner" },
    ],
    [
      "labelmap does not revisit what it wrote",
      "- {regex: 'x(.*)', replacement: 'xx$1', action: labelmap}",
      { xa: "1" },
      { xa: "1", xxa: "1" },
    ],
    [
      "labelmap skips a name that expands to nothing",
      "- {regex: 'p_(.*)', action: labelmap}",
      { p_: "1", p_a: "2" },
      { p_: "1", p_a: "2", a: "2" },
    ],
    // labeldrop, labelkeep
    ["labeldrop", "- {regex: '(b.*)', action: labeldrop}", { a: "foo", b1: "bar", b2: "baz" }, { a: "foo" }],
    [
      "labelkeep",
      "- {regex: '(b.*)', action: labelkeep}",
      { a: "foo", b1: "bar", b2: "baz" },
      { b1: "bar", b2: "baz" },
    ],
    [
      "labeldrop sees labels set earlier",
      "- {target_label: tmp_x, replacement: 1}\n- {regex: 'tmp_.*', action: labeldrop}",
      { a: "1" },
      { a: "1" },
    ],
    ["labelkeep can empty the set", "- {regex: 'nothing', action: labelkeep}", { a: "1" }, {}],
    [
      "a dropped label reads as empty afterwards",
      `
- {regex: '^__meta_kubernetes_pod_container_port_name$', action: labeldrop}
- {source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port], regex: '(.+)', target_label: __meta_kubernetes_pod_container_port_name, replacement: metrics}
- {source_labels: [__meta_kubernetes_pod_container_port_name], regex: '^metrics$', action: keep}`,
      {
        __meta_kubernetes_pod_container_port_name: "foo",
        __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
      },
      {
        __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
        __meta_kubernetes_pod_container_port_name: "metrics",
      },
    ],
    // lowercase, uppercase
    [
      "uppercase and lowercase",
      "- {source_labels: [foo], target_label: foo_uppercase, action: uppercase}\n- {source_labels: [foo], target_label: foo_lowercase, action: lowercase}",
      { foo: "bAr123Foo" },
      { foo: "bAr123Foo", foo_lowercase: "bar123foo", foo_uppercase: "BAR123FOO" },
    ],
    [
      "uppercase as Go does it",
      "- {source_labels: [a], target_label: a, action: uppercase}",
      { a: "straße" },
      { a: "STRAßE" },
    ],
    [
      "lowercase of nothing deletes the target",
      "- {source_labels: [z], target_label: a, action: lowercase}",
      { a: "X", b: "y" },
      { b: "y" },
    ],
  ])("%s", (_name, rules, input, want) => {
    expect(relabel(rules, input)).toEqual(want);
  });

  it("resolves labelmap collisions in Prometheus's order: untouched labels by name, then labels set since", () => {
    const rules = "- {regex: '[ab]_(x)', action: labelmap}";
    expect(relabel(rules, { a_x: "1", b_x: "2" })).toEqual({ a_x: "1", b_x: "2", x: "2" });
    // After a replace writes a_x, it is listed after b_x, so its value wins.
    expect(
      relabel(`- {source_labels: [a_x], target_label: a_x, replacement: 'new$1'}\n${rules}`, {
        a_x: "1",
        b_x: "2",
      }),
    ).toEqual({ a_x: "new1", b_x: "2", x: "new1" });
  });

  it("checks an expanded target_label under the legacy scheme at apply time", () => {
    const rules = "- {source_labels: [a], regex: '(.*)', target_label: 'x_${1}', replacement: v}";
    expect(relabel(rules, { a: "ok" }, "legacy")).toEqual({ a: "ok", x_ok: "v" });
    expect(relabel(rules, { a: "not-ok" }, "legacy")).toEqual({ a: "not-ok" });
    expect(relabel(rules, { a: "not-ok" }, "utf8")).toEqual({ a: "not-ok", "x_not-ok": "v" });
  });

  it("returns its input when nothing changes, and a fresh set otherwise", () => {
    const input = Labels.fromRecord({ a: "1" });
    expect(compileRelabel([]).apply(input)).toBe(input);
    expect(compileRelabel([{ source_labels: ["a"], regex: "1", action: "keep" }]).apply(input)).toBe(input);
    const changed = compileRelabel([{ target_label: "b", replacement: "2" }]).apply(input);
    expect(changed?.toRecord()).toEqual({ a: "1", b: "2" });
    expect(input.toRecord()).toEqual({ a: "1" });
  });

  it("can be applied again and again", () => {
    const program = compileRelabel([
      { source_labels: ["a"], regex: "x", action: "drop" },
      { source_labels: ["a"], target_label: "b" },
    ]);
    expect(program.apply(Labels.fromRecord({ a: "x" }))).toBeUndefined();
    expect(program.apply(Labels.fromRecord({ a: "y" }))?.toRecord()).toEqual({ a: "y", b: "y" });
    expect(program.apply(Labels.fromRecord({ c: "z" }))?.toRecord()).toEqual({ c: "z" });
  });
});
