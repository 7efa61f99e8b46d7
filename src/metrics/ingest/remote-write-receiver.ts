import { HttpError } from "../../server/errors.js";
import { WireError } from "../../wire/errors.js";
import { FastDecoderV1 } from "../../wire/remote-write/fast-v1.js";
import { FastDecoderV2 } from "../../wire/remote-write/fast-v2.js";
import { SnappyError, snappyDecompress } from "../../wire/snappy.js";
import type { IngestPipeline, ReceiveResult } from "./sample-writer.js";

/** The remote-write message a request carries, from its Content-Type. */
type Version = 1 | 2;

/**
 * Accepts Prometheus remote-write bodies for one tenant: 1.0 (`prometheus.WriteRequest`) and 2.0
 * (`io.prometheus.write.v2.Request`), snappy block compressed. The body is decoded in place by the
 * hot-path decoders straight into the request's {@link SampleWriter} (an existing series is found
 * from its raw label bytes; strings are built only for new series). Transport problems throw an
 * {@link HttpError} (415 for a content type or encoding it does not speak, 413 past the size limit,
 * 400 for a corrupt body, with nothing kept); refused samples are skipped and reported while the
 * rest of the request is kept, as Prometheus's receiver does. A 2.0 answer carries the
 * `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` headers.
 */
export class RemoteWriteReceiver {
  // Decoding is synchronous, so one decoder per version serves every request in turn.
  readonly #v1 = new FastDecoderV1();
  readonly #v2 = new FastDecoderV2();

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly maxDecompressedBytes: number,
  ) {}

  /**
   * Checks the headers of a write, decompresses and decodes the body, and appends every sample for
   * `tenant`. Resolves once the accepted samples are committed. `admit` (the gateway's per-cluster
   * limit) is called with the request's sample count once decoded, before the commit; what it
   * throws rejects the request with nothing kept.
   */
  async receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
    admit?: (samples: number) => void,
  ): Promise<ReceiveResult> {
    const version = messageVersion(headers.contentType);
    checkContentEncoding(headers.contentEncoding);
    const raw = decompress(body, this.maxDecompressedBytes);
    const w = this.pipeline.begin(tenant);
    try {
      if (version === 1) this.#v1.decode(raw, w);
      else this.#v2.decode(raw, w);
    } catch (err) {
      w.rollback();
      if (err instanceof WireError)
        throw new HttpError("bad_data", `corrupt remote-write ${version}.0 body: ${err.message}`);
      throw err;
    }
    const result = await w.commit(admit);
    if (version === 1) return result;
    return {
      ...result,
      headers: {
        "x-prometheus-remote-write-samples-written": String(result.samplesWritten),
        "x-prometheus-remote-write-histograms-written": "0",
        "x-prometheus-remote-write-exemplars-written": String(result.exemplarsWritten ?? 0),
      },
    };
  }
}

function messageVersion(value: string | undefined): Version {
  const [type = "", ...params] = (value ?? "").split(";").map((s) => s.trim().toLowerCase());
  if (type !== "application/x-protobuf") {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Type ${JSON.stringify(value ?? "")}: remote-write needs application/x-protobuf`,
    );
  }
  let version: Version = 1;
  for (const p of params) {
    if (!p.startsWith("proto=")) continue;
    const proto = p.slice(6);
    if (proto === "prometheus.writerequest") version = 1;
    else if (proto === "io.prometheus.write.v2.request") version = 2;
    else {
      throw new HttpError(
        "unsupported_media_type",
        `unsupported remote-write message ${proto}: this receiver speaks prometheus.WriteRequest (1.0) and io.prometheus.write.v2.Request (2.0)`,
      );
    }
  }
  return version;
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
