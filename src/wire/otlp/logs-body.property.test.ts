/**
 * Property tests of the OTLP logs push path, which faces the network: whatever the bytes, decoding
 * ends in a {@link PushRequest} or a {@link PushError}, never another exception; and a request reads
 * the same whether it was sent as protobuf (written by protobufjs) or as OTLP/JSON.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PushError, type PushRequest, parseStreamLabels } from "../loki/index.js";
import { decodeOtlpLogsBody } from "./logs-body.js";
import { encodeLogsJson, encodeLogsProto, type OtlpLogsJson } from "./otlp-logs.testlib.js";
import { DEFAULT_INDEX_LABEL_ATTRIBUTES } from "./to-loki.js";

const LIMITS = { maxDecompressedBytes: 1 << 20, setting: "logs.max_push_decompressed_bytes" };
const MAPPING = { nowNs: () => 7n };
const TYPES = ["application/x-protobuf", "application/json"] as const;

/** Decodes, and returns the request or the PushError; anything else thrown fails the property. */
function attempt(
  contentType: string,
  contentEncoding: string | undefined,
  body: Uint8Array,
): PushRequest | PushError {
  try {
    return decodeOtlpLogsBody({ contentType, contentEncoding, body }, LIMITS, MAPPING);
  } catch (err) {
    if (err instanceof PushError) return err;
    throw err;
  }
}

/** What every decoded request must be: parseable stream labels, bigint times, string lines and metadata. */
function checkShape(req: PushRequest): void {
  for (const s of req.streams) {
    expect(() => parseStreamLabels(s.labels)).not.toThrow();
    expect(s.entries.length).toBeGreaterThan(0);
    for (const e of s.entries) {
      expect(typeof e.timestampNs).toBe("bigint");
      expect(typeof e.line).toBe("string");
      for (const [n, v] of e.structuredMetadata ?? [])
        expect([typeof n, typeof v]).toEqual(["string", "string"]);
    }
  }
}

const text = fc.string({ unit: "grapheme", maxLength: 8 });
const key = fc.oneof(
  fc.constantFrom(...DEFAULT_INDEX_LABEL_ATTRIBUTES, "host.name", "", "1st", "_x", "__y__", "a.b-c"),
  text,
);
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const hexId = (bytes: number) =>
  fc.oneof(
    fc.constant(""),
    fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex")),
  );

const { anyValue } = fc.letrec<{ anyValue: Record<string, unknown>; keyValue: Record<string, unknown> }>(
  (tie) => ({
    anyValue: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant({}),
      text.map((v) => ({ stringValue: v })),
      fc.boolean().map((v) => ({ boolValue: v })),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ intValue: v.toString() })),
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((v) => !Object.is(v, -0))
        .map((v) => ({ doubleValue: v })),
      fc.uint8Array({ maxLength: 6 }).map((b) => ({ bytesValue: Buffer.from(b).toString("base64") })),
      fc.array(tie("anyValue"), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
      fc.array(tie("keyValue"), { maxLength: 3 }).map((values) => ({ kvlistValue: { values } })),
    ),
    keyValue: fc.record({ key, value: tie("anyValue") }),
  }),
);
const attributes = fc.array(fc.record({ key, value: anyValue }), { maxLength: 4 });

const logRecord = fc.record(
  {
    timeUnixNano: fc.oneof(fc.constant("0"), u64),
    observedTimeUnixNano: fc.oneof(fc.constant("0"), u64),
    severityNumber: fc.integer({ min: 0, max: 24 }),
    severityText: text,
    body: anyValue,
    attributes,
    droppedAttributesCount: fc.nat({ max: 5 }),
    flags: fc.nat({ max: 2 ** 32 - 1 }),
    traceId: hexId(16),
    spanId: hexId(8),
    eventName: text,
  },
  { requiredKeys: [] },
);

const doc: fc.Arbitrary<OtlpLogsJson> = fc
  .array(
    fc.record({
      resource: fc.record({ attributes }),
      scopeLogs: fc.array(
        fc.record({
          scope: fc.record(
            { name: text, version: text, attributes, droppedAttributesCount: fc.nat({ max: 3 }) },
            { requiredKeys: [] },
          ),
          logRecords: fc.array(logRecord, { maxLength: 3 }),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 3 },
  )
  .map((resourceLogs) => ({ resourceLogs }));

describe("decodeOtlpLogsBody on arbitrary input", () => {
  it("reads a request the same from protobuf and from JSON, and every stream is well formed", () => {
    fc.assert(
      fc.property(doc, (d) => {
        const fromProto = decodeOtlpLogsBody(
          { contentType: "application/x-protobuf", contentEncoding: undefined, body: encodeLogsProto(d) },
          LIMITS,
          MAPPING,
        );
        const fromJson = decodeOtlpLogsBody(
          { contentType: "application/json", contentEncoding: "gzip", body: gzipSync(encodeLogsJson(d)) },
          LIMITS,
          MAPPING,
        );
        expect(fromJson).toEqual(fromProto);
        checkShape(fromProto);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws anything but PushError on random bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(...TYPES),
        fc.boolean(),
        (bytes, ct, gz) => {
          const out = attempt(ct, gz ? "gzip" : undefined, gz ? gzipSync(bytes) : bytes);
          if (!(out instanceof PushError)) checkShape(out);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never throws anything but PushError on mangled valid bodies", () => {
    const mangled = doc.chain((d) => {
      const bytes = encodeLogsProto(d);
      return fc.tuple(
        fc.constant(bytes),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
      );
    });
    fc.assert(
      fc.property(mangled, ([bytes, edits, cut]) => {
        const b = new Uint8Array(bytes);
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        const out = attempt(
          "application/x-protobuf",
          undefined,
          b.subarray(0, b.length === 0 ? 0 : cut % (b.length + 1)),
        );
        if (!(out instanceof PushError)) checkShape(out);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws anything but PushError on arbitrary JSON", () => {
    const json = fc.oneof(
      fc.jsonValue(),
      doc.map((d) => JSON.parse(JSON.stringify(d)) as unknown),
      fc.jsonValue().map((v) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [v] }] }] })),
      fc.jsonValue().map((v) => ({ resourceLogs: [{ resource: { attributes: [{ key: "k", value: v }] } }] })),
    );
    fc.assert(
      fc.property(json, (v) => {
        const out = attempt(
          "application/json",
          undefined,
          new TextEncoder().encode(JSON.stringify(v) ?? "null"),
        );
        if (!(out instanceof PushError)) checkShape(out);
      }),
      { numRuns: 1500 },
    );
  });
});
