import { describe, expect, it } from "vitest";
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { PushError } from "../loki/index.js";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import { decodeExportLogsServiceRequest } from "./logs-proto.js";
import { type ExportLogsServiceRequest, emptyLogRecord } from "./logs-types.js";
import { encodeLogsProto, oneResource, str } from "./otlp-logs.testlib.js";

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function malformed(bytes: Uint8Array): string {
  try {
    decodeExportLogsServiceRequest(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).code).toBe("malformed");
    return (err as PushError).message;
  }
  throw new Error("decoded");
}

/** request { resource_logs { scope_logs { log_records { <record> } } } } around hand-written record bytes. */
function wrapRecord(record: (w: ProtobufWriter) => void): Uint8Array {
  const w = new ProtobufWriter();
  w.tag(1, WIRE_LEN);
  const rl = w.fork();
  w.tag(2, WIRE_LEN);
  const sl = w.fork();
  w.tag(2, WIRE_LEN);
  const lr = w.fork();
  record(w);
  w.join(lr);
  w.join(sl);
  w.join(rl);
  return w.finish();
}

describe("OTLP ExportLogsServiceRequest protobuf decoder", () => {
  it("decodes an empty body as an empty request", () => {
    expect(decodeExportLogsServiceRequest(new Uint8Array(0))).toEqual({ resourceLogs: [] });
  });

  it("decodes a hand-assembled record byte for byte", () => {
    // resource_logs { scope_logs { log_records { time_unix_nano: 1_700_000_000_123_456_789
    //   severity_text: "INFO" body { string_value: "hi" } } } }
    const bytes = unhex(`
      0a 19 12 17 12 15
        09 15cd853dfe9c9717
        1a 04 494e464f
        2a 04 0a 02 6869`);
    const want: ExportLogsServiceRequest = {
      resourceLogs: [
        {
          resource: { attributes: [] },
          schemaUrl: "",
          scopeLogs: [
            {
              scope: { name: "", version: "", attributes: [], droppedAttributesCount: 0 },
              schemaUrl: "",
              logRecords: [
                {
                  ...emptyLogRecord(),
                  timeUnixNano: 1_700_000_000_123_456_789n,
                  severityText: "INFO",
                  body: { kind: "string", value: "hi" },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(decodeExportLogsServiceRequest(bytes)).toEqual(want);
  });

  it("reads every field protobufjs writes", () => {
    const doc = oneResource(
      [str("service.name", "api"), { key: "n", value: { intValue: "-9223372036854775808" } }],
      [
        {
          timeUnixNano: "18446744073709551615",
          observedTimeUnixNano: "1700000000000000001",
          severityNumber: 21,
          severityText: "FATAL",
          body: { kvlistValue: { values: [str("a", "b"), { key: "n", value: { doubleValue: 0.5 } }] } },
          attributes: [{ key: "raw", value: { bytesValue: "AAEC" } }],
          droppedAttributesCount: 4,
          flags: 0xffffffff,
          traceId: "00000000000000000000000000000001",
          spanId: "ABCDEF0123456789",
          eventName: "boot",
        },
      ],
      { name: "lib", version: "2", attributes: [str("x", "y")], droppedAttributesCount: 7 },
    );
    const got = decodeExportLogsServiceRequest(encodeLogsProto(doc));
    const rl = got.resourceLogs[0]!;
    expect(rl.resource.attributes).toEqual([
      { key: "service.name", value: { kind: "string", value: "api" } },
      { key: "n", value: { kind: "int", value: -(2n ** 63n) } },
    ]);
    expect(rl.scopeLogs[0]!.scope).toEqual({
      name: "lib",
      version: "2",
      attributes: [{ key: "x", value: { kind: "string", value: "y" } }],
      droppedAttributesCount: 7,
    });
    expect(rl.scopeLogs[0]!.logRecords).toEqual([
      {
        timeUnixNano: 2n ** 64n - 1n,
        observedTimeUnixNano: 1_700_000_000_000_000_001n,
        severityNumber: 21,
        severityText: "FATAL",
        body: {
          kind: "kvlist",
          values: [
            { key: "a", value: { kind: "string", value: "b" } },
            { key: "n", value: { kind: "double", value: 0.5 } },
          ],
        },
        attributes: [{ key: "raw", value: { kind: "bytes", value: new Uint8Array([0, 1, 2]) } }],
        droppedAttributesCount: 4,
        flags: 0xffffffff,
        traceId: "00000000000000000000000000000001",
        spanId: "abcdef0123456789",
        eventName: "boot",
      },
    ]);
  });

  it("reads all-zero ids as unset", () => {
    const doc = oneResource([], [{ traceId: "0".repeat(32), spanId: "0".repeat(16) }]);
    const lr = decodeExportLogsServiceRequest(encodeLogsProto(doc)).resourceLogs[0]!.scopeLogs[0]!
      .logRecords[0]!;
    expect([lr.traceId, lr.spanId]).toEqual(["", ""]);
  });

  it("skips unknown fields of every wire type, including the old field 1000", () => {
    const bytes = wrapRecord((w) => {
      w.tag(3, WIRE_LEN).string("x");
      w.tag(40, WIRE_VARINT).uint32(5);
      w.tag(41, WIRE_FIXED64).double(1);
      w.tag(4, WIRE_LEN).string("reserved field 4");
    });
    const w = new ProtobufWriter();
    w.tag(1000, WIRE_LEN).string("instrumentation_library_logs");
    const extra = w.finish();
    const lr = decodeExportLogsServiceRequest(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(lr.severityText).toBe("x");
    // Field 1000 inside ResourceLogs: splice it in front of the scope_logs.
    const withOld = new Uint8Array([0x0a, bytes[1]! + extra.length, ...extra, ...bytes.subarray(2)]);
    expect(decodeExportLogsServiceRequest(withOld).resourceLogs[0]!.scopeLogs).toHaveLength(1);
  });

  it("merges a body sent twice as protobuf merges messages", () => {
    const bytes = wrapRecord((w) => {
      w.tag(5, WIRE_LEN);
      let m = w.fork();
      w.tag(5, WIRE_LEN);
      const a = w.fork();
      w.tag(1, WIRE_LEN);
      const v = w.fork();
      w.tag(1, WIRE_LEN).string("one");
      w.join(v).join(a).join(m);
      w.tag(5, WIRE_LEN);
      m = w.fork();
      w.tag(5, WIRE_LEN);
      const b = w.fork();
      w.tag(1, WIRE_LEN);
      const v2 = w.fork();
      w.tag(2, WIRE_VARINT).bool(true);
      w.join(v2).join(b).join(m);
    });
    const lr = decodeExportLogsServiceRequest(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(lr.body).toEqual({
      kind: "array",
      values: [
        { kind: "string", value: "one" },
        { kind: "bool", value: true },
      ],
    });
  });

  it.each([
    [
      "a trace id of 15 bytes",
      (w: ProtobufWriter) => w.tag(9, WIRE_LEN).bytes(new Uint8Array(15)),
      /trace_id is 15 bytes/,
    ],
    [
      "a span id of 16 bytes",
      (w: ProtobufWriter) => w.tag(10, WIRE_LEN).bytes(new Uint8Array(16)),
      /span_id is 16 bytes/,
    ],
    [
      "time_unix_nano as a varint",
      (w: ProtobufWriter) => w.tag(1, WIRE_VARINT).uint32(1),
      /LogRecord field 1 has wrong wire type 0/,
    ],
    ["flags as a varint", (w: ProtobufWriter) => w.tag(8, WIRE_VARINT).uint32(1), /LogRecord field 8/],
    [
      "severity text that is not UTF-8",
      (w: ProtobufWriter) => w.tag(3, WIRE_LEN).bytes(new Uint8Array([0xff])),
      /UTF-8/,
    ],
  ])("refuses %s", (_, write, re) => {
    expect(malformed(wrapRecord(write))).toMatch(re);
  });

  it("refuses truncated bodies", () => {
    const bytes = encodeLogsProto(
      oneResource([str("service.name", "a")], [{ body: { stringValue: "hello" } }]),
    );
    for (let n = 1; n < bytes.length; n++) {
      expect(() => decodeExportLogsServiceRequest(bytes.subarray(0, n)), `at ${n}`).toThrow(PushError);
    }
  });

  it(`refuses bodies nested deeper than ${MAX_ANY_VALUE_DEPTH}`, () => {
    // body { array_value { values { array_value { … } } } }, written by hand (protobufjs stops at 32).
    const nested = (depth: number) =>
      wrapRecord((w) => {
        const marks: number[] = [];
        w.tag(5, WIRE_LEN);
        marks.push(w.fork());
        for (let i = 1; i < depth; i++) {
          w.tag(5, WIRE_LEN);
          marks.push(w.fork());
          w.tag(1, WIRE_LEN);
          marks.push(w.fork());
        }
        w.tag(1, WIRE_LEN).string("leaf");
        while (marks.length > 0) w.join(marks.pop()!);
      });
    const body = decodeExportLogsServiceRequest(nested(MAX_ANY_VALUE_DEPTH)).resourceLogs[0]!.scopeLogs[0]!
      .logRecords[0]!.body;
    expect(body.kind).toBe("array");
    expect(malformed(nested(MAX_ANY_VALUE_DEPTH + 1))).toMatch(/nested deeper than 64/);
  });
});
