/**
 * OTLP/HTTP metrics in protobuf (`Content-Type: application/x-protobuf`): a decoder of
 * `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`, with the field numbers of
 * opentelemetry-proto's `metrics/v1/metrics.proto`, `common/v1/common.proto` and
 * `resource/v1/resource.proto`. The bytes are already decompressed.
 *
 * Proto3 rules are kept: unknown fields are skipped; repeated scalars are accepted packed and unpacked;
 * a singular sub-message that appears twice is merged; of a oneof, the last member seen wins.
 */
import { ProtobufError, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { WireError } from "../errors.js";
import { bit, OtlpReader, readKeyValue, skipUnknown, tag } from "./common-proto.js";
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
  Resource,
  ResourceMetrics,
  ScopeMetrics,
} from "./types.js";

const REQ_RESOURCE_METRICS = tag(1, WIRE_LEN);
const RM_RESOURCE = tag(1, WIRE_LEN);
const RM_SCOPE_METRICS = tag(2, WIRE_LEN);
const RM_SCHEMA_URL = tag(3, WIRE_LEN);
const RES_ATTRIBUTES = tag(1, WIRE_LEN);
const RES_DROPPED = tag(2, WIRE_VARINT);
const RES_ENTITY_REFS = tag(3, WIRE_LEN);
const SM_SCOPE = tag(1, WIRE_LEN);
const SM_METRICS = tag(2, WIRE_LEN);
const SM_SCHEMA_URL = tag(3, WIRE_LEN);
const SCOPE_NAME = tag(1, WIRE_LEN);
const SCOPE_VERSION = tag(2, WIRE_LEN);
const SCOPE_ATTRIBUTES = tag(3, WIRE_LEN);
const SCOPE_DROPPED = tag(4, WIRE_VARINT);
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
const KNOWN_REQUEST = bit(1);
const KNOWN_RESOURCE_METRICS = bit(1, 2, 3);
const KNOWN_RESOURCE = bit(1, 2, 3);
const KNOWN_SCOPE_METRICS = bit(1, 2, 3);
const KNOWN_SCOPE = bit(1, 2, 3, 4);
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
  const r = new OtlpReader(buf);
  try {
    const resourceMetrics: ResourceMetrics[] = [];
    while (r.pos < r.end) {
      const t = r.tag();
      if (t === REQ_RESOURCE_METRICS) resourceMetrics.push(readResourceMetrics(r));
      else skipUnknown(r, t, "ExportMetricsServiceRequest", KNOWN_REQUEST);
    }
    return { resourceMetrics };
  } catch (err: unknown) {
    if (err instanceof ProtobufError) {
      throw new WireError("malformed", `OTLP metrics: invalid ExportMetricsServiceRequest: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

function readResourceMetrics(r: OtlpReader): ResourceMetrics {
  const outer = r.pushLimit();
  const rm: ResourceMetrics = { resource: { attributes: [] }, scopeMetrics: [], schemaUrl: "" };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === RM_SCOPE_METRICS) rm.scopeMetrics.push(readScopeMetrics(r));
    else if (t === RM_RESOURCE) readResource(r, rm.resource);
    else if (t === RM_SCHEMA_URL) rm.schemaUrl = r.string();
    else skipUnknown(r, t, "ResourceMetrics", KNOWN_RESOURCE_METRICS);
  }
  r.popLimit(outer);
  return rm;
}

function readResource(r: OtlpReader, into: Resource): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === RES_ATTRIBUTES) into.attributes.push(readKeyValue(r));
    else if (t === RES_DROPPED) r.skip(WIRE_VARINT);
    else if (t === RES_ENTITY_REFS) r.skip(WIRE_LEN);
    else skipUnknown(r, t, "Resource", KNOWN_RESOURCE);
  }
  r.popLimit(outer);
}

function readScopeMetrics(r: OtlpReader): ScopeMetrics {
  const outer = r.pushLimit();
  const sm: ScopeMetrics = { scope: { name: "", version: "", attributes: [] }, metrics: [], schemaUrl: "" };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === SM_METRICS) sm.metrics.push(readMetric(r));
    else if (t === SM_SCOPE) readScope(r, sm.scope);
    else if (t === SM_SCHEMA_URL) sm.schemaUrl = r.string();
    else skipUnknown(r, t, "ScopeMetrics", KNOWN_SCOPE_METRICS);
  }
  r.popLimit(outer);
  return sm;
}

function readScope(r: OtlpReader, into: InstrumentationScope): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === SCOPE_NAME) into.name = r.string();
    else if (t === SCOPE_VERSION) into.version = r.string();
    else if (t === SCOPE_ATTRIBUTES) into.attributes.push(readKeyValue(r));
    else if (t === SCOPE_DROPPED) r.skip(WIRE_VARINT);
    else skipUnknown(r, t, "InstrumentationScope", KNOWN_SCOPE);
  }
  r.popLimit(outer);
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
