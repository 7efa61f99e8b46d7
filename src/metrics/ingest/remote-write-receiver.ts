import { Labels, METRIC_NAME } from "../../model/labels.js";
import { HttpError } from "../../server/errors.js";
import { WireError } from "../../wire/errors.js";
import { decodeWriteRequestV1, type TimeSeriesV1 } from "../../wire/remote-write/v1.js";
import { SnappyError, snappyDecompress } from "../../wire/snappy.js";
import type { IngestPipeline, ReceiveResult } from "./sample-writer.js";

/**
 * Accepts Prometheus remote-write 1.0 bodies (protobuf `prometheus.WriteRequest`, snappy block
 * compressed) for one tenant. Transport problems throw an {@link HttpError} (415 for a content type
 * or encoding it does not speak, 413 past the size limit, 400 for a corrupt body); refused samples
 * are skipped and reported while the rest of the request is kept, as Prometheus's receiver does.
 */
export class RemoteWriteReceiver {
  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly maxDecompressedBytes: number,
  ) {}

  /**
   * Checks the headers of a write, decompresses and decodes the body, and appends every sample for
   * `tenant`. Resolves once the accepted samples are committed.
   */
  async receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
  ): Promise<ReceiveResult> {
    checkContentType(headers.contentType);
    checkContentEncoding(headers.contentEncoding);
    const raw = decompress(body, this.maxDecompressedBytes);
    let req: ReturnType<typeof decodeWriteRequestV1>;
    try {
      req = decodeWriteRequestV1(raw);
    } catch (err) {
      if (err instanceof WireError)
        throw new HttpError("bad_data", `corrupt remote-write body: ${err.message}`);
      throw err;
    }
    let samples = 0;
    for (const ts of req.timeseries) samples += ts.samples.length + ts.histogramCount;
    const w = this.pipeline.begin(tenant, samples);
    try {
      for (const ts of req.timeseries) {
        const labels = seriesLabels(ts);
        if (typeof labels === "string") {
          w.refuse("invalid_labels", labels, ts.samples.length + ts.histogramCount);
          continue;
        }
        if (!w.admitSeries(labels, ts.samples.length + ts.histogramCount)) continue;
        if (ts.histogramCount > 0) {
          w.refuse(
            "native_histogram",
            `native histograms are not supported yet (series ${labels.toString()})`,
            ts.histogramCount,
          );
        }
        for (const s of ts.samples) w.append(labels, s.timestamp, s.value);
      }
    } catch (err) {
      w.rollback();
      throw err;
    }
    return w.commit();
  }
}

/** The series' labels, or why they are invalid. Empty values are dropped, as they mean "no label". */
function seriesLabels(ts: TimeSeriesV1): Labels | string {
  const flat: string[] = [];
  const seen = new Set<string>();
  for (const l of ts.labels) {
    if (l.name === "") return "a label has an empty name";
    if (seen.has(l.name)) return `label name ${JSON.stringify(l.name)} is repeated`;
    seen.add(l.name);
    flat.push(l.name, l.value);
  }
  const labels = Labels.fromPairs(flat);
  if (labels.get(METRIC_NAME) === "")
    return `series has no metric name (${METRIC_NAME}): ${labels.toString()}`;
  return labels;
}

function checkContentType(value: string | undefined): void {
  const [type = "", ...params] = (value ?? "").split(";").map((s) => s.trim().toLowerCase());
  if (type !== "application/x-protobuf") {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Type ${JSON.stringify(value ?? "")}: remote-write needs application/x-protobuf`,
    );
  }
  for (const p of params) {
    if (p.startsWith("proto=") && p !== "proto=prometheus.writerequest") {
      throw new HttpError(
        "unsupported_media_type",
        `unsupported remote-write message ${p.slice(6)}: this receiver speaks remote-write 1.0 (prometheus.WriteRequest)`,
      );
    }
  }
}

function checkContentEncoding(value: string | undefined): void {
  if ((value ?? "").trim().toLowerCase() !== "snappy") {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Encoding ${JSON.stringify(value ?? "")}: remote-write bodies must be snappy block compressed`,
    );
  }
}

function decompress(body: Uint8Array, max: number): Uint8Array {
  try {
    return snappyDecompress(body, max);
  } catch (err) {
    if (err instanceof SnappyError && err.code === "too_large") {
      throw new HttpError(
        "too_large",
        `${err.message}; the limit is ${max} bytes after decompression, raise metrics.max_write_decompressed_bytes to accept more`,
      );
    }
    if (err instanceof SnappyError) throw new HttpError("bad_data", `corrupt snappy body: ${err.message}`);
    throw err;
  }
}
