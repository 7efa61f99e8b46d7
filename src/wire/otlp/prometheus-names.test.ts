import { describe, expect, it } from "vitest";
import type { OtlpMetricKind, TranslationStrategy } from "./prometheus-names.js";
import { buildLabelName, buildMetricName, buildUnitName } from "./prometheus-names.js";

const ESCAPE_SUFFIX: TranslationStrategy = "UnderscoreEscapingWithSuffixes";
const ESCAPE_ONLY: TranslationStrategy = "UnderscoreEscapingWithoutSuffixes";
const UTF8_SUFFIX: TranslationStrategy = "NoUTF8EscapingWithSuffixes";
const NONE: TranslationStrategy = "NoTranslation";

describe("buildMetricName", () => {
  it.each<[string, string, OtlpMetricKind, TranslationStrategy, string]>([
    // Prometheus's default: escaping and suffixes.
    ["http.server.request.duration", "s", "histogram", ESCAPE_SUFFIX, "http_server_request_duration_seconds"],
    ["process.cpu.time", "s", "monotonicCounter", ESCAPE_SUFFIX, "process_cpu_time_seconds_total"],
    ["system.network.io", "By", "monotonicCounter", ESCAPE_SUFFIX, "system_network_io_bytes_total"],
    ["memory.usage", "By", "gauge", ESCAPE_SUFFIX, "memory_usage_bytes"],
    ["cpu.utilization", "1", "gauge", ESCAPE_SUFFIX, "cpu_utilization_ratio"],
    ["cpu_usage_ratio", "1", "gauge", ESCAPE_SUFFIX, "cpu_usage_ratio"],
    ["items", "1", "monotonicCounter", ESCAPE_SUFFIX, "items_total"],
    ["queue.size", "1", "nonMonotonicCounter", ESCAPE_SUFFIX, "queue_size"],
    ["requests", "", "monotonicCounter", ESCAPE_SUFFIX, "requests_total"],
    ["requests_total", "", "monotonicCounter", ESCAPE_SUFFIX, "requests_total"],
    ["total_requests", "", "monotonicCounter", ESCAPE_SUFFIX, "requests_total"],
    ["response_time_seconds", "s", "gauge", ESCAPE_SUFFIX, "response_time_seconds"],
    ["response_time", "ms", "summary", ESCAPE_SUFFIX, "response_time_milliseconds"],
    ["uptime", "d", "gauge", ESCAPE_SUFFIX, "uptime_days"],
    ["throughput", "By/s", "gauge", ESCAPE_SUFFIX, "throughput_bytes_per_second"],
    ["requests", "1/s", "gauge", ESCAPE_SUFFIX, "requests_per_second"],
    ["requests", "{request}/s", "monotonicCounter", ESCAPE_SUFFIX, "requests_per_second_total"],
    ["packets", "{packet}", "monotonicCounter", ESCAPE_SUFFIX, "packets_total"],
    ["custom_metric", "By/{custom}", "gauge", ESCAPE_SUFFIX, "custom_metric_bytes"],
    ["custom_metric", "custom_unit", "gauge", ESCAPE_SUFFIX, "custom_metric_custom_unit"],
    [
      "custom_metric",
      "unit@with#special/chars",
      "gauge",
      ESCAPE_SUFFIX,
      "custom_metric_unit_with_special_per_chars",
    ],
    ["temp", "Cel", "gauge", ESCAPE_SUFFIX, "temp_celsius"],
    ["disk", "TiBy", "gauge", ESCAPE_SUFFIX, "disk_tibibytes"],
    ["a__b..c", "", "gauge", ESCAPE_SUFFIX, "a_b_c"],
    ["_leading.and.trailing_", "", "gauge", ESCAPE_SUFFIX, "leading_and_trailing"],
    ["ns:name", "", "gauge", ESCAPE_SUFFIX, "ns:name"],
    ["123_requests", "", "monotonicCounter", ESCAPE_SUFFIX, "_123_requests_total"],
    ["métric", "", "gauge", ESCAPE_SUFFIX, "m_tric"],
    ["@#$%", "", "gauge", ESCAPE_SUFFIX, ""],
    ["", "s", "gauge", ESCAPE_SUFFIX, "seconds"],
    // Escaping without suffixes keeps `_` runs and adds nothing.
    ["metric@@##$$name", "s", "monotonicCounter", ESCAPE_ONLY, "metric_name"],
    ["metric__name", "", "gauge", ESCAPE_ONLY, "metric__name"],
    ["123metric", "", "gauge", ESCAPE_ONLY, "_123metric"],
    ["@#$%", "", "gauge", ESCAPE_ONLY, ""],
    // UTF-8 names with suffixes.
    ["http.server.duration", "s", "histogram", UTF8_SUFFIX, "http.server.duration_seconds"],
    ["requêsts", "", "monotonicCounter", UTF8_SUFFIX, "requêsts_total"],
    ["cpu_seconds_total", "s", "monotonicCounter", UTF8_SUFFIX, "cpu_seconds_total"],
    ["cpu.usage.ratio", "1", "gauge", UTF8_SUFFIX, "cpu.usage_ratio"],
    ["requêsts", "1/s", "gauge", UTF8_SUFFIX, "requêsts_per_second"],
    ["@#$%", "", "monotonicCounter", UTF8_SUFFIX, "@#$%_total"],
    // No translation at all.
    ["http.server.duration", "s", "histogram", NONE, "http.server.duration"],
    ["", "", "gauge", NONE, ""],
  ])("%j (unit %j, %s) under %s is %j", (name, unit, kind, strategy, want) => {
    expect(buildMetricName(name, unit, kind, strategy)).toBe(want);
  });
});

describe("buildUnitName", () => {
  it.each([
    ["s", "seconds"],
    ["ms", "milliseconds"],
    ["By", "bytes"],
    ["By/s", "bytes_per_second"],
    ["1/s", "per_second"],
    ["1", ""],
    ["{packet}", ""],
    ["", ""],
    ["%", "percent"],
    ["unit__multiple__underscores", "unit_multiple_underscores"],
    ["m/s", "meters_per_second"],
  ])("%j is %j", (unit, want) => {
    expect(buildUnitName(unit)).toBe(want);
  });
});

describe("buildLabelName", () => {
  it.each([
    ["http.request.method", "http_request_method"],
    ["k8s.pod.name", "k8s_pod_name"],
    ["foo__bar", "foo_bar"],
    ["a.-b", "a_b"],
    ["0abc", "key_0abc"],
    ["_private", "_private"],
    ["__reserved__", "__reserved__"],
    ["__a.b__", "__a_b__"],
    ["ünïcode", "_n_code"],
    ["le", "le"],
    ["___", ""],
    ["..", ""],
    ["", ""],
  ])("%j escapes to %j", (key, want) => {
    expect(buildLabelName(key, ESCAPE_SUFFIX)).toBe(want);
    expect(buildLabelName(key, ESCAPE_ONLY)).toBe(want);
  });

  it.each([
    ["http.request.method", "http.request.method"],
    ["ünïcode", "ünïcode"],
    ["0abc", "0abc"],
    ["__", ""],
    ["", ""],
  ])("%j is kept as %j without escaping", (key, want) => {
    expect(buildLabelName(key, UTF8_SUFFIX)).toBe(want);
    expect(buildLabelName(key, NONE)).toBe(want);
  });
});
