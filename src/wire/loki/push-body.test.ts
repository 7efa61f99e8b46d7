import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { snappyCompress } from "../snappy.js";
import { PUSH_ERROR_HTTP_CODE, PushError, type PushErrorCode } from "./errors.js";
import {
  arbPush,
  encodePushRequestJson,
  encodePushRequestProto,
  encodePushRequestSnappy,
  toPushRequest,
} from "./push.testlib.js";
import { decodePushBody, pushFormat } from "./push-body.js";
import type { PushRequest } from "./types.js";

const LIMITS = { maxDecompressedBytes: 1 << 20, setting: "logs.max_push_decompressed_bytes" };
const REQ: PushRequest = {
  streams: [{ labels: '{app="web"}', entries: [{ timestampNs: 1_700_000_000_000_000_001n, line: "hello" }] }],
};
const JSON_BODY = encodePushRequestJson([{ labels: [["app", "web"]], entries: REQ.streams[0]!.entries }]);

function refusal(
  contentType: string | undefined,
  contentEncoding: string | undefined,
  body: Uint8Array,
  limits = LIMITS,
): PushError {
  try {
    decodePushBody({ contentType, contentEncoding, body }, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    return err as PushError;
  }
  throw new Error("decoded");
}

describe("pushFormat", () => {
  it.each([
    [undefined, "protobuf"],
    ["", "protobuf"],
    ["application/x-protobuf", "protobuf"],
    ["application/protobuf", "protobuf"],
    ["application/json", "json"],
    ["Application/JSON; charset=utf-8", "json"],
  ] as const)("%j is %s", (ct, want) => {
    expect(pushFormat(ct)).toBe(want);
  });

  it("refuses other types with 415", () => {
    expect(() => pushFormat("text/plain")).toThrow(/unsupported Content-Type "text\/plain"/);
  });
});

describe("decodePushBody", () => {
  const ok: [string, string | undefined, string | undefined, Uint8Array][] = [
    ["protobuf+snappy, no headers", undefined, undefined, encodePushRequestSnappy(REQ)],
    ["protobuf+snappy, x-protobuf", "application/x-protobuf", undefined, encodePushRequestSnappy(REQ)],
    [
      "protobuf+snappy, Content-Encoding snappy",
      "application/x-protobuf",
      "snappy",
      encodePushRequestSnappy(REQ),
    ],
    ["protobuf+snappy inside gzip", "application/x-protobuf", "gzip", gzipSync(encodePushRequestSnappy(REQ))],
    ["JSON", "application/json", undefined, JSON_BODY],
    ["JSON identity", "application/json", "identity", JSON_BODY],
    ["JSON gzip", "application/json", "gzip", gzipSync(JSON_BODY)],
    ["JSON deflate (zlib)", "application/json", "Deflate", deflateSync(JSON_BODY)],
    ["JSON deflate (raw, as Loki reads it)", "application/json", "deflate", deflateRawSync(JSON_BODY)],
  ];
  it.each(ok)("decodes %s", (_, ct, ce, body) => {
    expect(decodePushBody({ contentType: ct, contentEncoding: ce, body }, LIMITS)).toEqual(REQ);
  });

  const refused: [string, string | undefined, string | undefined, Uint8Array, PushErrorCode, RegExp][] = [
    [
      "unknown encoding",
      "application/json",
      "br",
      JSON_BODY,
      "unsupported_media_type",
      /Content-Encoding "br"/,
    ],
    [
      "snappy JSON",
      "application/json",
      "snappy",
      JSON_BODY,
      "unsupported_media_type",
      /snappy is for protobuf/,
    ],
    [
      "protobuf without snappy",
      undefined,
      undefined,
      encodePushRequestProto(REQ),
      "corrupt",
      /not valid snappy/,
    ],
    ["bad gzip", "application/json", "gzip", JSON_BODY, "corrupt", /gzip body does not decompress/],
    ["bad deflate", "application/json", "deflate", JSON_BODY, "corrupt", /deflate body does not decompress/],
    [
      "bad JSON",
      "application/json",
      undefined,
      new TextEncoder().encode("{"),
      "malformed",
      /not valid UTF-8 JSON/,
    ],
    [
      "bad protobuf",
      undefined,
      undefined,
      snappyCompress(new Uint8Array([0x0a, 0x05])),
      "malformed",
      /invalid protobuf/,
    ],
  ];
  it.each(refused)("refuses %s", (_, ct, ce, body, code, want) => {
    const err = refusal(ct, ce, body);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(want);
  });

  describe("size caps", () => {
    const small = { maxDecompressedBytes: 1000, setting: "logs.max_push_decompressed_bytes" };
    const zeros = new Uint8Array(10 << 20);
    const want =
      /more than the limit of 1000 bytes; send smaller batches or raise logs.max_push_decompressed_bytes/;

    it.each([
      ["a gzip bomb", "application/json", "gzip", gzipSync(zeros)],
      ["a deflate bomb", "application/json", "deflate", deflateSync(zeros)],
      ["a raw deflate bomb", "application/json", "deflate", deflateRawSync(zeros)],
      ["a snappy bomb", undefined, undefined, snappyCompress(zeros)],
      ["a snappy bomb in gzip", undefined, "gzip", gzipSync(snappyCompress(zeros))],
      ["a large plain JSON body", "application/json", undefined, new Uint8Array(1001)],
    ] as const)("refuses %s with too_large (413) naming the limit", (_, ct, ce, body) => {
      const err = refusal(ct, ce, body, small);
      expect(err.code).toBe("too_large");
      expect(PUSH_ERROR_HTTP_CODE[err.code]).toBe("too_large");
      expect(err.message).toMatch(want);
    });

    it("refuses a snappy block that only declares a huge length, without expanding it", () => {
      // A preamble saying 2^32 - 1 bytes, followed by nothing.
      const err = refusal(undefined, undefined, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), small);
      expect(err.code).toBe("too_large");
    });

    it("accepts a body exactly at the limit", () => {
      const body = encodePushRequestSnappy(REQ);
      const size = encodePushRequestProto(REQ).length;
      expect(() =>
        decodePushBody(
          { contentType: undefined, contentEncoding: undefined, body },
          { maxDecompressedBytes: size, setting: "x" },
        ),
      ).not.toThrow();
      expect(refusal(undefined, undefined, body, { maxDecompressedBytes: size - 1, setting: "x" }).code).toBe(
        "too_large",
      );
    });
  });

  it("round-trips through every encoding", () => {
    fc.assert(
      fc.property(
        arbPush,
        fc.constantFrom("snappy", "gzip+snappy", "json", "json+gzip", "json+deflate"),
        (streams, how) => {
          const req = toPushRequest(streams);
          const snappy = encodePushRequestSnappy(req);
          const json = encodePushRequestJson(streams);
          const [ct, ce, body] =
            how === "snappy"
              ? [undefined, undefined, snappy]
              : how === "gzip+snappy"
                ? ["application/x-protobuf", "gzip", gzipSync(snappy)]
                : how === "json"
                  ? ["application/json", undefined, json]
                  : how === "json+gzip"
                    ? ["application/json", "gzip", gzipSync(json)]
                    : ["application/json", "deflate", deflateSync(json)];
          expect(decodePushBody({ contentType: ct, contentEncoding: ce, body }, LIMITS)).toEqual(req);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws anything but PushError, and never hangs, on random or mutated bodies", () => {
    const arbCase = fc.record({
      contentType: fc.constantFrom(undefined, "application/json", "application/x-protobuf", "text/plain"),
      contentEncoding: fc.constantFrom(undefined, "gzip", "deflate", "snappy", "zstd"),
      body: fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc
          .tuple(
            arbPush,
            fc.boolean(),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          )
          .map(([streams, json, flips]) => {
            const req = toPushRequest(streams);
            const buf = (
              json ? gzipSync(encodePushRequestJson(streams)) : encodePushRequestSnappy(req)
            ).slice();
            for (const [at, b] of flips) if (buf.length > 0) buf[at % buf.length] = b;
            return buf;
          }),
      ),
    });
    const started = Date.now();
    fc.assert(
      fc.property(arbCase, (c) => {
        try {
          decodePushBody(c, { maxDecompressedBytes: 64 << 10, setting: "x" });
        } catch (err) {
          expect(err).toBeInstanceOf(PushError);
        }
      }),
      { numRuns: 3000 },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe("PUSH_ERROR_HTTP_CODE", () => {
  it("maps every code to 400, 413 or 415", () => {
    expect(PUSH_ERROR_HTTP_CODE).toEqual({
      malformed: "bad_data",
      corrupt: "bad_data",
      too_large: "too_large",
      unsupported_media_type: "unsupported_media_type",
    });
  });
});
