import { encodeWriteRequestV1, type LabelV1 } from "../../wire/remote-write/v1.js";

/**
 * The label sets of a workload's series, each encoded once as the `labels` fields of a remote-write
 * 1.0 `TimeSeries` and kept end to end in one byte array (about 125 bytes per node-exporter series,
 * against a kilobyte or so as JS objects), so that a million series can be written into request
 * after request without holding their label objects. {@link writeRequest} then assembles a
 * `WriteRequest` from these bytes and one sample per series.
 */
export class EncodedSeries {
  #bytes = new Uint8Array(1 << 20);
  #offsets: Uint32Array;
  /** The buffer {@link writeRequest} writes into, reused: a request's bytes are garbage once compressed. */
  #out = new Uint8Array(0);
  #count = 0;

  constructor(capacity: number) {
    this.#offsets = new Uint32Array(capacity + 1);
  }

  /** Number of series added. */
  get count(): number {
    return this.#count;
  }

  /** Adds the next series (label names and values; protobuf order is kept as given). */
  add(labels: readonly LabelV1[]): void {
    const ts = encodeWriteRequestV1({
      timeseries: [{ labels: [...labels], samples: [], exemplars: [], histogramCount: 0 }],
      metadata: [],
    });
    // `ts` is one field: tag 0x0a, the varint length, then the labels' bytes.
    let p = 1;
    while (ts[p]! & 0x80) p++;
    const body = ts.subarray(p + 1);
    const at = this.#offsets[this.#count]!;
    if (at + body.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + body.length));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
    }
    this.#bytes.set(body, at);
    this.#offsets[++this.#count] = at + body.length;
  }

  /** Releases the spare capacity once every series is added. */
  trim(): void {
    this.#bytes = this.#bytes.slice(0, this.#offsets[this.#count]!);
  }

  /**
   * A remote-write 1.0 `WriteRequest` (uncompressed) holding series `[from, to)`, series `i` with
   * the one sample `values[i]` at `timestampMs`. The bytes are valid until the next call.
   */
  writeRequest(from: number, to: number, values: Float64Array, timestampMs: number): Uint8Array {
    const offsets = this.#offsets;
    // A Sample: tag 0x09 + 8-byte double, tag 0x10 + varint timestamp.
    const sampleLen = 1 + 8 + 1 + varintLength(timestampMs);
    let total = 0;
    for (let i = from; i < to; i++) {
      const content = offsets[i + 1]! - offsets[i]! + 1 + varintLength(sampleLen) + sampleLen;
      total += 1 + varintLength(content) + content;
    }
    if (this.#out.length < total) this.#out = new Uint8Array(Math.max(total, this.#out.length * 2));
    const out = this.#out;
    const view = new DataView(out.buffer);
    let p = 0;
    for (let i = from; i < to; i++) {
      const labels = this.#bytes.subarray(offsets[i]!, offsets[i + 1]!);
      out[p++] = 0x0a; // WriteRequest.timeseries
      p = writeVarint(out, p, labels.length + 1 + varintLength(sampleLen) + sampleLen);
      out.set(labels, p);
      p += labels.length;
      out[p++] = 0x12; // TimeSeries.samples
      p = writeVarint(out, p, sampleLen);
      out[p++] = 0x09; // Sample.value
      view.setFloat64(p, values[i]!, true);
      p += 8;
      out[p++] = 0x10; // Sample.timestamp
      p = writeVarint(out, p, timestampMs);
    }
    if (p !== total) throw new Error(`writeRequest: wrote ${p} bytes, sized ${total}`);
    return out.subarray(0, total);
  }
}

/** Bytes of `v` (a non-negative safe integer) as a protobuf varint. */
function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Writes `v` (a non-negative safe integer) as a varint at `p`; returns the position after it. */
function writeVarint(out: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    out[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[p++] = v;
  return p;
}
