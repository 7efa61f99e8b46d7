/**
 * OTLP/HTTP metrics ingest: decoding `ExportMetricsServiceRequest` bodies (protobuf or JSON) into one
 * typed structure, and translating it into Prometheus samples as Prometheus's own OTLP receiver does.
 * OTLP/HTTP logs ingest: decoding `ExportLogsServiceRequest` bodies into the Loki push request Loki's
 * own OTLP endpoint would make of them ({@link decodeOtlpLogsBody}).
 */

export { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
export { anyValueText, formatFloatLabel } from "./label-text.js";
export { decodeOtlpLogsBody, type OtlpFormat, otlpFormat } from "./logs-body.js";
export { decodeExportLogsServiceRequestJson } from "./logs-json.js";
export { decodeExportLogsServiceRequest } from "./logs-proto.js";
export type {
  ExportLogsServiceRequest,
  LogRecord,
  LogsScope,
  ResourceLogs,
  ScopeLogs,
} from "./logs-types.js";
export { decodeExportMetricsServiceRequestJson } from "./metrics-json.js";
export { decodeExportMetricsServiceRequest } from "./metrics-proto.js";
export type { OtlpMetricKind, TranslationStrategy } from "./prometheus-names.js";
export { buildLabelName, buildMetricName, buildUnitName } from "./prometheus-names.js";
export {
  DEFAULT_DISCOVER_SERVICE_NAME,
  DEFAULT_INDEX_LABEL_ATTRIBUTES,
  normalizeLabelName,
  type OtlpLogsMapping,
  otlpLogsToPush,
  UNKNOWN_SERVICE,
} from "./to-loki.js";
export type {
  OtlpSample,
  OtlpSampleSink,
  OtlpSamples,
  OtlpTranslationOptions,
  OtlpTranslationReport,
} from "./to-prometheus.js";
export {
  DEFAULT_LOOKBACK_DELTA_MS,
  MAX_TARGET_INFO_SAMPLES,
  otlpToSamples,
  translateOtlpMetrics,
} from "./to-prometheus.js";
export type {
  AnyValue,
  DataPointBase,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
  Resource,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from "./types.js";
export { AggregationTemporality, FLAG_NO_RECORDED_VALUE } from "./types.js";
