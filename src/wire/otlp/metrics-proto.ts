/**
 * OTLP/HTTP metrics in protobuf (`Content-Type: application/x-protobuf`): a decoder of
 * `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`, with the field numbers of
 * opentelemetry-proto's `metrics/v1/metrics.proto`, `common/v1/common.proto` and
 * `resource/v1/resource.proto`. The bytes are already decompressed.
 *
 * Proto3 rules are kept: unknown fields are skipped; repeated scalars are accepted packed and unpacked;
 * a singular sub-message that appears twice is merged; of a oneof, the last member seen wins.
 */
import { WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { WireError } from "../errors.js";
import {
  bit,
  OtlpReader,
  readEnvelope,
  readExportRequest,
  readResource,
  readScope,
  skipUnknown,
  tag,
} from "./common-proto.js";
import {
  readExponentialPoint,
  readHistogramPoint,
  readNumberPoint,
  readSummaryPoint,
} from "./data-points-proto.js";
import type {
  ExportMetricsServiceRequest,
  InstrumentationScope,
  Metric,
  MetricData,
  ResourceMetrics,
  ScopeMetrics,
} from "./types.js";

const M_NAME = tag(1, WIRE_LEN);
const M_DESCRIPTION = tag(2, WIRE_LEN);
const M_UNIT = tag(3, WIRE_LEN);
const M_GAUGE = tag(5, WIRE_LEN);
const M_SUM = tag(7, WIRE_LEN);
const M_HISTOGRAM = tag(9, WIRE_LEN);
const M_EXP_HISTOGRAM = tag(10, WIRE_LEN);
const M_SUMMARY = tag(11, WIRE_LEN);
const M_METADATA = tag(12, WIRE_LEN);
const DATA_POINTS = tag(1, WIRE_LEN);
const DATA_TEMPORALITY = tag(2, WIRE_VARINT);
const SUM_MONOTONIC = tag(3, WIRE_VARINT);

// Bit masks (bit n = field n) of each message's declared fields, to tell a wrong wire type from an
// unknown field.
const KNOWN_METRIC = bit(1, 2, 3, 5, 7, 9, 10, 11, 12);
const KNOWN_POINTS_ONLY = bit(1);
const KNOWN_SUM = bit(1, 2, 3);
const KNOWN_HISTOGRAM = bit(1, 2);

/**
 * Decodes an `ExportMetricsServiceRequest` from uncompressed protobuf bytes. Unknown fields are skipped;
 * a known field with the wrong wire type, truncated data, invalid UTF-8 or attribute values nested
 * deeper than `MAX_ANY_VALUE_DEPTH` throw {@link WireError} `malformed`. The result holds no reference
 * to `buf`.
 */
export function decodeExportMetricsServiceRequest(buf: Uint8Array): ExportMetricsServiceRequest {
  const resourceMetrics = readExportRequest(
    new OtlpReader(buf),
    "ExportMetricsServiceRequest",
    readResourceMetrics,
    (err) =>
      new WireError("malformed", `OTLP metrics: invalid ExportMetricsServiceRequest: ${err.message}`, {
        cause: err,
      }),
  );
  return { resourceMetrics };
}

function readResourceMetrics(r: OtlpReader): ResourceMetrics {
  const e = readEnvelope(r, "ResourceMetrics", { attributes: [] }, readResource, readScopeMetrics);
  return { resource: e.head, scopeMetrics: e.items, schemaUrl: e.schemaUrl };
}

function readScopeMetrics(r: OtlpReader): ScopeMetrics {
  const scope: InstrumentationScope = { name: "", version: "", attributes: [] };
  const e = readEnvelope(r, "ScopeMetrics", scope, readScope, readMetric);
  return { scope: e.head, metrics: e.items, schemaUrl: e.schemaUrl };
}

function readMetric(r: OtlpReader): Metric {
  const outer = r.pushLimit();
  const m: Metric = { name: "", description: "", unit: "", data: { type: "none" } };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case M_NAME:
        m.name = r.string();
        break;
      case M_DESCRIPTION:
        m.description = r.string();
        break;
      case M_UNIT:
        m.unit = r.string();
        break;
      case M_GAUGE:
      case M_SUM:
      case M_HISTOGRAM:
      case M_EXP_HISTOGRAM:
      case M_SUMMARY:
        m.data = readData(r, t, m.data);
        break;
      case M_METADATA:
        r.skip(WIRE_LEN);
        break;
      default:
        skipUnknown(r, t, "Metric", KNOWN_METRIC);
    }
  }
  r.popLimit(outer);
  return m;
}

/** Reads one member (tag `t`) of the `data` oneof, merging into `prev` when it is the same member. */
function readData(r: OtlpReader, t: number, prev: MetricData): MetricData {
  const outer = r.pushLimit();
  let data: MetricData;
  if (t === M_GAUGE) {
    const d = prev.type === "gauge" ? prev : { type: "gauge" as const, dataPoints: [] };
    while (r.pos < r.end) {
      const ft = r.tag();
      if (ft === DATA_POINTS) d.dataPoints.push(readNumberPoint(r));
      else skipUnknown(r, ft, "Gauge", KNOWN_POINTS_ONLY);
    }
    data = d;
  } else if (t === M_SUM) {
    const d =
      prev.type === "sum"
        ? prev
        : { type: "sum" as const, aggregationTemporality: 0, isMonotonic: false, dataPoints: [] };
    while (r.pos < r.end) {
      const ft = r.tag();
      if (ft === DATA_POINTS) d.dataPoints.push(readNumberPoint(r));
      else if (ft === DATA_TEMPORALITY) d.aggregationTemporality = r.int32();
      else if (ft === SUM_MONOTONIC) d.isMonotonic = r.bool();
      else skipUnknown(r, ft, "Sum", KNOWN_SUM);
    }
    data = d;
  } else if (t === M_HISTOGRAM) {
    const d =
      prev.type === "histogram"
        ? prev
        : { type: "histogram" as const, aggregationTemporality: 0, dataPoints: [] };
    while (r.pos < r.end) {
      const ft = r.tag();
      if (ft === DATA_POINTS) d.dataPoints.push(readHistogramPoint(r));
      else if (ft === DATA_TEMPORALITY) d.aggregationTemporality = r.int32();
      else skipUnknown(r, ft, "Histogram", KNOWN_HISTOGRAM);
    }
    data = d;
  } else if (t === M_EXP_HISTOGRAM) {
    const d =
      prev.type === "exponentialHistogram"
        ? prev
        : { type: "exponentialHistogram" as const, aggregationTemporality: 0, dataPoints: [] };
    while (r.pos < r.end) {
      const ft = r.tag();
      if (ft === DATA_POINTS) d.dataPoints.push(readExponentialPoint(r));
      else if (ft === DATA_TEMPORALITY) d.aggregationTemporality = r.int32();
      else skipUnknown(r, ft, "ExponentialHistogram", KNOWN_HISTOGRAM);
    }
    data = d;
  } else {
    const d = prev.type === "summary" ? prev : { type: "summary" as const, dataPoints: [] };
    while (r.pos < r.end) {
      const ft = r.tag();
      if (ft === DATA_POINTS) d.dataPoints.push(readSummaryPoint(r));
      else skipUnknown(r, ft, "Summary", KNOWN_POINTS_ONLY);
    }
    data = d;
  }
  r.popLimit(outer);
  return data;
}
