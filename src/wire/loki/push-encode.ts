/**
 * The encoder of Loki push bodies as Loki's clients send them: a `logproto.PushRequest` protobuf,
 * optionally in a snappy block. The seed only decodes pushes; benchmarks and crash tests that push
 * to a running seed over HTTP encode with this (it is built into `dist/`, unlike the `.testlib`).
 */
import { WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { snappyCompress } from "../snappy.js";
import type { PushRequest } from "./types.js";

const NS = 1_000_000_000n;

/**
 * Encodes `req` as an uncompressed `logproto.PushRequest`: each entry's timestamp split into
 * `Timestamp` seconds and non-negative nanos, empty fields left out as proto3 does. `hash` adds
 * `StreamAdapter.hash`, which decoders must skip (for tests of the decoder).
 */
export function encodePushProto(req: PushRequest, opts: { hash?: boolean } = {}): Uint8Array {
  const w = new ProtobufWriter(64 * 1024);
  for (const s of req.streams) {
    w.tag(1, WIRE_LEN);
    const stream = w.fork();
    w.tag(1, WIRE_LEN).string(s.labels);
    for (const e of s.entries) {
      w.tag(2, WIRE_LEN);
      const entry = w.fork();
      let seconds = e.timestampNs / NS;
      let nanos = e.timestampNs % NS;
      if (nanos < 0n) {
        seconds -= 1n;
        nanos += NS;
      }
      w.tag(1, WIRE_LEN);
      const ts = w.fork();
      if (seconds !== 0n) w.tag(1, WIRE_VARINT).int64(Number(seconds));
      if (nanos !== 0n) w.tag(2, WIRE_VARINT).int64(Number(nanos));
      w.join(ts);
      if (e.line !== "") w.tag(2, WIRE_LEN).string(e.line);
      for (const [name, value] of e.structuredMetadata ?? []) {
        w.tag(3, WIRE_LEN);
        const pair = w.fork();
        w.tag(1, WIRE_LEN).string(name);
        w.tag(2, WIRE_LEN).string(value);
        w.join(pair);
      }
      w.join(entry);
    }
    if (opts.hash === true) w.tag(3, WIRE_VARINT).uint64(12345);
    w.join(stream);
  }
  return w.finish();
}

/** `req` as the body of `POST /loki/api/v1/push` with `Content-Type: application/x-protobuf`: snappy'd protobuf. */
export function encodePushSnappy(req: PushRequest): Uint8Array {
  return snappyCompress(encodePushProto(req));
}
