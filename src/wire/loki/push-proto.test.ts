import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { PushError } from "./errors.js";
import { arbPush, encodePushRequestProto, toPushRequest } from "./push.testlib.js";
import { decodePushRequestProto } from "./push-proto.js";

function malformed(buf: Uint8Array): string {
  try {
    decodePushRequestProto(buf);
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).code).toBe("malformed");
    return (err as Error).message;
  }
  throw new Error("decoded");
}

describe("decodePushRequestProto", () => {
  it("decodes streams, entries, timestamps and structured metadata", () => {
    const req = {
      streams: [
        {
          labels: '{app="web"}',
          entries: [
            { timestampNs: 1_700_000_000_123_456_789n, line: "GET / 200" },
            { timestampNs: 0n, line: "", structuredMetadata: [["trace_id", "abc"] as [string, string]] },
          ],
        },
        { labels: "{}", entries: [] },
      ],
    };
    expect(decodePushRequestProto(encodePushRequestProto(req, { hash: true }))).toEqual(req);
  });

  it("decodes an empty body as no streams", () => {
    expect(decodePushRequestProto(new Uint8Array())).toEqual({ streams: [] });
  });

  it("skips unknown fields and PushRequest.format", () => {
    const w = new ProtobufWriter();
    w.tag(2, 2).string("internal");
    w.tag(9, 0).uint32(7);
    w.tag(1, 2);
    const m = w.fork();
    w.tag(1, 2).string('{a="b"}');
    w.tag(7, 5).fixed32(1);
    w.join(m);
    expect(decodePushRequestProto(w.finish())).toEqual({ streams: [{ labels: '{a="b"}', entries: [] }] });
  });

  it("refuses a known field with the wrong wire type", () => {
    const w = new ProtobufWriter();
    w.tag(1, 0).uint32(1);
    expect(malformed(w.finish())).toMatch(/PushRequest field 1 has wrong wire type 0/);
  });

  it("refuses timestamps outside google.protobuf.Timestamp's range", () => {
    const entry = (seconds: number, nanos: number): Uint8Array => {
      const w = new ProtobufWriter();
      w.tag(1, 2);
      const s = w.fork();
      w.tag(2, 2);
      const e = w.fork();
      w.tag(1, 2);
      const t = w.fork();
      w.tag(1, 0).int64(seconds);
      w.tag(2, 0).int64(nanos);
      w.join(t);
      w.join(e);
      w.join(s);
      return w.finish();
    };
    expect(malformed(entry(253402300800, 0))).toMatch(/outside years 1 to 9999/);
    expect(malformed(entry(0, 1_000_000_000))).toMatch(/nanos 1000000000 is outside/);
    expect(malformed(entry(0, -1))).toMatch(/nanos -1 is outside/);
    expect(decodePushRequestProto(entry(-1, 5)).streams[0]!.entries[0]!.timestampNs).toBe(-999_999_995n);
  });

  it("refuses invalid UTF-8 in a line", () => {
    const w = new ProtobufWriter();
    w.tag(1, 2);
    const s = w.fork();
    w.tag(2, 2);
    const e = w.fork();
    w.tag(2, 2).bytes(new Uint8Array([0xff, 0xfe]));
    w.join(e);
    w.join(s);
    expect(malformed(w.finish())).toMatch(/not valid UTF-8/);
  });

  it("round-trips any request", () => {
    fc.assert(
      fc.property(arbPush, (streams) => {
        const req = toPushRequest(streams);
        expect(decodePushRequestProto(encodePushRequestProto(req))).toEqual(req);
      }),
    );
  });

  it("never throws anything but PushError on mutated or random bytes", () => {
    const arbBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(
          arbPush,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.nat(),
        )
        .map(([streams, flips, cut]) => {
          const buf = encodePushRequestProto(toPushRequest(streams)).slice();
          for (const [at, b] of flips) if (buf.length > 0) buf[at % buf.length] = b;
          return buf.subarray(0, buf.length === 0 ? 0 : buf.length - (cut % Math.min(buf.length, 8)));
        }),
    );
    fc.assert(
      fc.property(arbBytes, (buf) => {
        try {
          decodePushRequestProto(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(PushError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
