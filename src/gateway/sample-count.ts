/**
 * Counting the samples of a remote-write request without decoding it: what the gateway charges to
 * a cluster's samples bucket when it forwards over HTTP (the in-process path gets the count from
 * the ingest instead, after its own decoding). Only the protobuf framing is walked: a sample is a
 * `samples` field of a TimeSeries, a native histogram a `histograms` field; labels, values and
 * timestamps are stepped over unread.
 *
 * The walk accepts every body the ingest decoders accept (they check all the framing this checks,
 * and more), so a body the count cannot read is one the ingest refuses too.
 */
import { ProtobufError, ProtobufReader, WIRE_LEN } from "../lib/protobuf/reader.js";
import { WireError } from "../wire/errors.js";

/** The remote-write message of a Content-Type: 1 (`prometheus.WriteRequest`), 2, or undefined for neither. */
export type RemoteWriteVersion = 1 | 2;

// Tags (field number << 3 | wire type) of the fields counted.
const V1_TIMESERIES = (1 << 3) | WIRE_LEN;
const V1_SAMPLES = (2 << 3) | WIRE_LEN;
const V1_HISTOGRAMS = (4 << 3) | WIRE_LEN;
const V2_TIMESERIES = (5 << 3) | WIRE_LEN;
const V2_SAMPLES = (2 << 3) | WIRE_LEN;
const V2_HISTOGRAMS = (3 << 3) | WIRE_LEN;

/**
 * The message a remote-write Content-Type names: 1.0 for `application/x-protobuf` without `proto=`
 * or with `proto=prometheus.WriteRequest`, 2.0 with `proto=io.prometheus.write.v2.Request`, and
 * undefined for anything else (the ingest answers that with 415).
 */
export function remoteWriteVersion(contentType: string | undefined): RemoteWriteVersion | undefined {
  const [type = "", ...params] = (contentType ?? "").split(";").map((s) => s.trim().toLowerCase());
  if (type !== "application/x-protobuf") return undefined;
  let version: RemoteWriteVersion = 1;
  for (const p of params) {
    if (!p.startsWith("proto=")) continue;
    const proto = p.slice(6);
    if (proto === "prometheus.writerequest") version = 1;
    else if (proto === "io.prometheus.write.v2.request") version = 2;
    else return undefined;
  }
  return version;
}

/**
 * The samples (float samples plus native histograms) in the uncompressed remote-write request
 * `buf` of `version`. Throws {@link WireError} `malformed` when the framing is broken (a
 * truncated field, a bad wire type); `buf` is only read.
 */
export function countRemoteWriteSamples(buf: Uint8Array, version: RemoteWriteVersion): number {
  const [timeseries, samples, histograms] =
    version === 1 ? [V1_TIMESERIES, V1_SAMPLES, V1_HISTOGRAMS] : [V2_TIMESERIES, V2_SAMPLES, V2_HISTOGRAMS];
  const r = new ProtobufReader(buf);
  let n = 0;
  try {
    while (!r.done) {
      const tag = r.tag();
      if (tag !== timeseries) {
        r.skip(tag & 7);
        continue;
      }
      const outer = r.pushLimit();
      while (!r.done) {
        const field = r.tag();
        if (field === samples || field === histograms) n++;
        r.skip(field & 7);
      }
      r.popLimit(outer);
    }
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    throw new WireError("malformed", `remote-write ${version}.0: cannot count samples: ${err.message}`, {
      cause: err,
    });
  }
  return n;
}
