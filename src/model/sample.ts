import type { Labels } from "./labels.js";

/** The metric types of the Prometheus and OpenMetrics exposition formats. */
export type MetricType =
  | "counter"
  | "gauge"
  | "histogram"
  | "gaugehistogram"
  | "summary"
  | "info"
  | "stateset"
  | "unknown";

/**
 * One sample as exposed by a scrape target or a built-in collector: its full label set (with
 * `__name__`), its value, and its timestamp in Unix ms when the exposition carried one.
 */
export interface ExposedSample {
  readonly labels: Labels;
  readonly value: number;
  readonly timestamp?: number;
}

/** HELP/TYPE/UNIT of one metric family. */
export interface MetricMetadata {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/** What one scrape or collection yields. */
export interface Exposition {
  readonly samples: ExposedSample[];
  readonly metadata: MetricMetadata[];
}
