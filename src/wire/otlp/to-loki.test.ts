import { describe, expect, it } from "vitest";
import { parseStreamLabels } from "../loki/index.js";
import {
  type ExportLogsServiceRequest,
  emptyLogRecord,
  type LogRecord,
  type LogsScope,
} from "./logs-types.js";
import {
  DEFAULT_INDEX_LABEL_ATTRIBUTES,
  normalizeLabelName,
  type OtlpLogsMapping,
  otlpLogsToPush,
} from "./to-loki.js";
import type { AnyValue, KeyValue } from "./types.js";

const s = (value: string): AnyValue => ({ kind: "string", value });
const kv = (key: string, value: AnyValue | string): KeyValue => ({
  key,
  value: typeof value === "string" ? s(value) : value,
});
const rec = (r: Partial<LogRecord>): LogRecord => ({ ...emptyLogRecord(), ...r });
const scope = (sc: Partial<LogsScope> = {}): LogsScope => ({
  name: "",
  version: "",
  attributes: [],
  droppedAttributesCount: 0,
  ...sc,
});

const T = 1_700_000_000_123_456_789n;
const NOW = 42n;
const MAPPING: OtlpLogsMapping = { nowNs: () => NOW };

function req(resources: [KeyValue[], LogRecord[], (LogsScope | undefined)?][]): ExportLogsServiceRequest {
  return {
    resourceLogs: resources.map(([attributes, logRecords, sc]) => ({
      resource: { attributes },
      scopeLogs: [{ scope: sc ?? scope(), logRecords, schemaUrl: "" }],
      schemaUrl: "",
    })),
  };
}

const one = (attrs: KeyValue[], r: Partial<LogRecord>, sc?: LogsScope, mapping = MAPPING) => {
  const out = otlpLogsToPush(req([[attrs, [rec(r)], sc]]), mapping);
  expect(out.streams).toHaveLength(1);
  expect(out.streams[0]!.entries).toHaveLength(1);
  return { labels: out.streams[0]!.labels, entry: out.streams[0]!.entries[0]! };
};

describe("otlpLogsToPush: stream labels", () => {
  it("indexes the default resource attributes, sanitised, and keeps the rest as metadata", () => {
    const { labels, entry } = one(
      [
        kv("service.name", "checkout"),
        kv("k8s.namespace.name", "shop"),
        kv("host.name", "node-1"),
        kv("deployment.environment.name", "prod"),
        kv("k8s.pod.name", "checkout-7d9"),
      ],
      { timeUnixNano: T, body: s("hello") },
    );
    expect(labels).toBe(
      '{deployment_environment_name="prod", k8s_namespace_name="shop", k8s_pod_name="checkout-7d9", service_name="checkout"}',
    );
    expect(entry).toEqual({ timestampNs: T, line: "hello", structuredMetadata: [["host_name", "node-1"]] });
  });

  it("has all 18 default index attributes", () => {
    const attrs = DEFAULT_INDEX_LABEL_ATTRIBUTES.map((k) => kv(k, "v"));
    const { labels, entry } = one(attrs, { timeUnixNano: T });
    const names = parseStreamLabels(labels).map(([n]) => n);
    expect(names).toHaveLength(18);
    expect(names).toContain("k8s_cronjob_name");
    expect(names).toContain("cloud_availability_zone");
    expect(entry.structuredMetadata).toBeUndefined();
  });

  it("matches the index list against the key as sent, not its sanitised name", () => {
    const { labels, entry } = one([kv("service_name", "x"), kv("service.name", "y")], { timeUnixNano: T });
    expect(labels).toBe('{service_name="y"}');
    expect(entry.structuredMetadata).toEqual([["service_name", "x"]]);
  });

  it.each([
    ["no service.name at all", [kv("host.name", "h")], "unknown_service"],
    ["an empty service.name", [kv("service.name", "")], "unknown_service"],
    ["a discoverable index label", [kv("k8s.container.name", "web")], "web"],
    [
      "the first discoverable label in attribute order",
      [kv("k8s.job.name", "batch"), kv("k8s.container.name", "web")],
      "batch",
    ],
    ["an int service.name, as text", [kv("service.name", { kind: "int", value: 7n })], "7"],
  ] as const)("names the service from %s", (_, attrs, want) => {
    const { labels } = one([...attrs], { timeUnixNano: T });
    expect(Object.fromEntries(parseStreamLabels(labels)).service_name).toBe(want);
  });

  it("adds no service_name when discovery is off", () => {
    const { labels } = one([kv("k8s.container.name", "web")], { timeUnixNano: T }, undefined, {
      ...MAPPING,
      discoverServiceName: [],
    });
    expect(labels).toBe('{k8s_container_name="web"}');
  });

  it("takes another index list (a service.name left out of it still counts as named, as in Loki)", () => {
    const { labels, entry } = one(
      [kv("service.name", "a"), kv("team", "core")],
      { timeUnixNano: T },
      undefined,
      {
        ...MAPPING,
        indexLabelAttributes: ["team"],
      },
    );
    expect(labels).toBe('{team="core"}');
    expect(entry.structuredMetadata).toEqual([["service_name", "a"]]);
  });

  it("flattens a map-valued index attribute into several labels", () => {
    const map: AnyValue = { kind: "kvlist", values: [kv("a.b", "1"), kv("c", "2")] };
    const { labels } = one([kv("service.name", "svc"), kv("k8s.pod.name", map)], { timeUnixNano: T });
    expect(labels).toBe('{k8s_pod_name_a_b="1", k8s_pod_name_c="2", service_name="svc"}');
  });

  it("puts resources with the same labels in one stream, in order, and skips resources without records", () => {
    const out = otlpLogsToPush(
      req([
        [[kv("service.name", "a"), kv("host.name", "h1")], [rec({ timeUnixNano: 1n, body: s("1") })]],
        [[kv("service.name", "b")], [rec({ timeUnixNano: 2n, body: s("2") })]],
        [[kv("service.name", "c")], []],
        [[kv("host.name", "h2"), kv("service.name", "a")], [rec({ timeUnixNano: 3n, body: s("3") })]],
      ]),
      MAPPING,
    );
    expect(out.streams.map((st) => st.labels)).toEqual(['{service_name="a"}', '{service_name="b"}']);
    expect(out.streams[0]!.entries).toEqual([
      { timestampNs: 1n, line: "1", structuredMetadata: [["host_name", "h1"]] },
      { timestampNs: 3n, line: "3", structuredMetadata: [["host_name", "h2"]] },
    ]);
  });

  it("makes an empty request of an empty one", () => {
    expect(otlpLogsToPush({ resourceLogs: [] })).toEqual({ streams: [] });
  });
});

describe("otlpLogsToPush: entries", () => {
  it("writes every record field and the scope's, in Loki's order", () => {
    const { entry } = one(
      [kv("service.name", "svc"), kv("host.name", "h")],
      {
        timeUnixNano: T,
        observedTimeUnixNano: T + 5n,
        severityNumber: 17,
        severityText: "ERROR",
        body: s("boom"),
        attributes: [kv("http.method", "GET"), kv("code", { kind: "int", value: 500n })],
        droppedAttributesCount: 2,
        flags: 1,
        traceId: "0102030405060708090a0b0c0d0e0f10",
        spanId: "1112131415161718",
        eventName: "ignored",
      },
      scope({
        name: "io.lib",
        version: "1.2.3",
        attributes: [kv("scope.attr", "x")],
        droppedAttributesCount: 3,
      }),
    );
    expect(entry).toEqual({
      timestampNs: T,
      line: "boom",
      structuredMetadata: [
        ["http_method", "GET"],
        ["code", "500"],
        ["observed_timestamp", String(T + 5n)],
        ["severity_number", "17"],
        ["severity_text", "ERROR"],
        ["dropped_attributes_count", "2"],
        ["flags", "1"],
        ["trace_id", "0102030405060708090a0b0c0d0e0f10"],
        ["span_id", "1112131415161718"],
        ["host_name", "h"],
        ["scope_attr", "x"],
        ["scope_name", "io.lib"],
        ["scope_version", "1.2.3"],
        ["scope_dropped_attributes_count", "3"],
      ],
    });
  });

  it.each([
    ["time set", { timeUnixNano: T }, T, false],
    ["both set", { timeUnixNano: T, observedTimeUnixNano: T + 1n }, T, true],
    ["only observed", { observedTimeUnixNano: T + 1n }, T + 1n, false],
    ["neither: now", {}, NOW, false],
    ["past 2^63, read as signed like Loki", { timeUnixNano: 2n ** 64n - 1n }, -1n, false],
  ] as const)("timestamp with %s", (_, r, want, observed) => {
    const { entry } = one([kv("service.name", "s")], r);
    expect(entry.timestampNs).toBe(want);
    const names = (entry.structuredMetadata ?? []).map(([n]) => n);
    expect(names.includes("observed_timestamp")).toBe(observed);
  });

  it.each([
    ["a string", s("plain"), "plain"],
    ["no body", { kind: "empty" }, ""],
    ["an int", { kind: "int", value: -3n }, "-3"],
    ["a double", { kind: "double", value: 1.5 }, "1.5"],
    ["a bool", { kind: "bool", value: true }, "true"],
    ["bytes", { kind: "bytes", value: new Uint8Array([1, 2, 3]) }, "AQID"],
    [
      "a map, as sorted JSON",
      { kind: "kvlist", values: [kv("z", "1"), kv("a", { kind: "int", value: 2n })] },
      '{"a":2,"z":"1"}',
    ],
    ["an array", { kind: "array", values: [s("x"), { kind: "bool", value: false }] }, '["x",false]'],
  ] as const satisfies readonly [string, AnyValue, string][])("line from %s", (_, body, want) => {
    expect(one([kv("service.name", "s")], { timeUnixNano: T, body }).entry.line).toBe(want);
  });

  it("flattens map attributes and renders other values as text", () => {
    const { entry } = one([kv("service.name", "s")], {
      timeUnixNano: T,
      attributes: [
        kv("http", {
          kind: "kvlist",
          values: [kv("status", { kind: "int", value: 200n }), kv("empty", { kind: "kvlist", values: [] })],
        }),
        kv("tags", { kind: "array", values: [s("a"), s("b")] }),
        kv("1st", "digit"),
        kv("_private", "underscore"),
        kv("", "empty key"),
      ],
    });
    expect(entry.structuredMetadata).toEqual([
      ["http_status", "200"],
      ["tags", '["a","b"]'],
      ["key_1st", "digit"],
      ["key_private", "underscore"],
      ["", "empty key"],
    ]);
  });

  it("leaves out metadata for unset fields (all-zero ids come decoded as empty)", () => {
    const { entry } = one([kv("service.name", "s")], { timeUnixNano: T, body: s("x") });
    expect(entry).toEqual({ timestampNs: T, line: "x" });
  });
});

describe("normalizeLabelName", () => {
  it.each([
    ["service.name", "service_name"],
    ["k8s.pod.name", "k8s_pod_name"],
    ["a..b", "a__b"],
    ["http-status/code", "http_status_code"],
    ["1abc", "key_1abc"],
    ["_x", "key_x"],
    ["__x__", "__x__"],
    [".x", "key_x"],
    ["ünï", "key_n_"],
    ["emoji😀x", "emoji_x"],
    ["", ""],
    ["ok_Name9", "ok_Name9"],
  ])("%j → %j", (key, want) => {
    expect(normalizeLabelName(key)).toBe(want);
  });
});
