import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { PUSH_ERROR_HTTP_CODE, PushError, type PushErrorCode, type PushRequest } from "../loki/index.js";
import { decodeOtlpLogsBody, otlpFormat } from "./logs-body.js";
import { encodeLogsJson, encodeLogsProto, oneResource, str } from "./otlp-logs.testlib.js";

const LIMITS = { maxDecompressedBytes: 1 << 20, setting: "logs.max_push_decompressed_bytes" };
const DOC = oneResource(
  [str("service.name", "web"), str("k8s.namespace.name", "prod"), str("host.name", "n1")],
  [
    {
      timeUnixNano: "1700000000000000001",
      severityText: "WARN",
      body: { stringValue: "disk almost full" },
      traceId: "0102030405060708090a0b0c0d0e0f10",
    },
  ],
  { name: "logger" },
);
const WANT: PushRequest = {
  streams: [
    {
      labels: '{k8s_namespace_name="prod", service_name="web"}',
      entries: [
        {
          timestampNs: 1_700_000_000_000_000_001n,
          line: "disk almost full",
          structuredMetadata: [
            ["severity_text", "WARN"],
            ["trace_id", "0102030405060708090a0b0c0d0e0f10"],
            ["host_name", "n1"],
            ["scope_name", "logger"],
          ],
        },
      ],
    },
  ],
};
const PROTO = encodeLogsProto(DOC);
const JSON_BODY = encodeLogsJson(DOC);

function refusal(
  contentType: string | undefined,
  contentEncoding: string | undefined,
  body: Uint8Array,
  limits = LIMITS,
): PushError {
  try {
    decodeOtlpLogsBody({ contentType, contentEncoding, body }, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    return err as PushError;
  }
  throw new Error("decoded");
}

describe("otlpFormat", () => {
  it.each([
    ["application/x-protobuf", "protobuf"],
    ["application/protobuf", "protobuf"],
    ["application/json", "json"],
    ["Application/JSON; charset=utf-8", "json"],
  ] as const)("%j is %s", (ct, want) => {
    expect(otlpFormat(ct)).toBe(want);
  });

  it.each([undefined, "", "text/plain", "application/x-ndjson"])("refuses %j with 415", (ct) => {
    expect(() => otlpFormat(ct)).toThrow(/unsupported Content-Type/);
  });
});

describe("decodeOtlpLogsBody", () => {
  it.each([
    ["protobuf", "application/x-protobuf", undefined, PROTO],
    ["protobuf, identity", "application/x-protobuf", "identity", PROTO],
    ["protobuf, gzip", "application/x-protobuf", "gzip", gzipSync(PROTO)],
    ["JSON", "application/json", undefined, JSON_BODY],
    ["JSON, gzip", "application/json", "GZIP", gzipSync(JSON_BODY)],
  ])("decodes %s to Loki streams", (_, ct, ce, body) => {
    expect(
      decodeOtlpLogsBody({ contentType: ct, contentEncoding: ce, body }, LIMITS, { nowNs: () => 0n }),
    ).toEqual(WANT);
  });

  it("gives records without timestamps the mapping's clock", () => {
    const body = encodeLogsJson(oneResource([], [{ body: { stringValue: "x" } }]));
    const got = decodeOtlpLogsBody(
      { contentType: "application/json", contentEncoding: undefined, body },
      LIMITS,
      {
        nowNs: () => 99n,
      },
    );
    expect(got.streams[0]!.entries[0]!.timestampNs).toBe(99n);
  });

  it.each<[string, string | undefined, string | undefined, Uint8Array, PushErrorCode, RegExp]>([
    ["no Content-Type", undefined, undefined, PROTO, "unsupported_media_type", /Content-Type ""/],
    [
      "snappy",
      "application/x-protobuf",
      "snappy",
      PROTO,
      "unsupported_media_type",
      /Content-Encoding "snappy"/,
    ],
    ["deflate", "application/json", "deflate", JSON_BODY, "unsupported_media_type", /gzip or none/],
    [
      "gzip that is not gzip",
      "application/x-protobuf",
      "gzip",
      PROTO,
      "corrupt",
      /gzip body does not decompress/,
    ],
    [
      "JSON sent as protobuf",
      "application/x-protobuf",
      undefined,
      JSON_BODY,
      "malformed",
      /invalid protobuf/,
    ],
    ["protobuf sent as JSON", "application/json", undefined, PROTO, "malformed", /not valid UTF-8 JSON/],
  ])("refuses %s", (_, ct, ce, body, code, re) => {
    const err = refusal(ct, ce, body);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(re);
  });

  it.each([
    ["plain", undefined, JSON_BODY],
    ["gzip'd", "gzip", gzipSync(JSON_BODY)],
  ])("refuses a %s body past the limit with 413, naming the setting", (_, ce, body) => {
    const limits = {
      maxDecompressedBytes: JSON_BODY.length - 1,
      setting: "logs.max_push_decompressed_bytes",
    };
    const err = refusal("application/json", ce, body, limits);
    expect(err.code).toBe("too_large");
    expect(PUSH_ERROR_HTTP_CODE[err.code]).toBe("too_large");
    expect(err.message).toMatch(/limit of \d+ bytes.*raise logs\.max_push_decompressed_bytes/);
    expect(() =>
      decodeOtlpLogsBody(
        { contentType: "application/json", contentEncoding: ce, body },
        { ...limits, maxDecompressedBytes: JSON_BODY.length },
      ),
    ).not.toThrow();
  });

  it("stops inflating a gzip bomb at the limit", () => {
    const bomb = gzipSync(new Uint8Array(64 << 20));
    const err = refusal("application/x-protobuf", "gzip", bomb, { ...LIMITS, maxDecompressedBytes: 1 << 16 });
    expect(err.code).toBe("too_large");
  });
});
