import { encodeWriteRequestV1, type WriteRequestV1 } from "../wire/remote-write/v1.js";
import { snappyCompress } from "../wire/snappy.js";

/** A snappy-compressed remote-write 1.0 body holding `series` (label record, then [t, v] samples). */
export function writeBody(series: [Record<string, string>, [number, number][]][]): Uint8Array {
  const req: WriteRequestV1 = {
    timeseries: series.map(([labels, samples]) => ({
      labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
      samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
      exemplars: [],
      histogramCount: 0,
    })),
    metadata: [],
  };
  return snappyCompress(encodeWriteRequestV1(req));
}

/** Headers of a remote-write 1.0 request. */
export const WRITE_HEADERS = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
} as const;
