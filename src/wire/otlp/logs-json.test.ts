import { describe, expect, it } from "vitest";
import { PushError } from "../loki/index.js";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import { decodeExportLogsServiceRequestJson } from "./logs-json.js";
import { decodeExportLogsServiceRequest } from "./logs-proto.js";
import { emptyLogRecord, type LogRecord } from "./logs-types.js";
import { encodeLogsJson, encodeLogsProto, oneResource, str } from "./otlp-logs.testlib.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

function firstRecord(records: Record<string, unknown>[]): LogRecord {
  const req = decodeExportLogsServiceRequestJson(encodeLogsJson(oneResource([], records)));
  return req.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
}

function malformed(body: string): string {
  try {
    decodeExportLogsServiceRequestJson(utf8(body));
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).code).toBe("malformed");
    return (err as PushError).message;
  }
  throw new Error("decoded");
}

describe("OTLP ExportLogsServiceRequest JSON decoder", () => {
  it("decodes {} and an empty resourceLogs as an empty request", () => {
    expect(decodeExportLogsServiceRequestJson(utf8("{}"))).toEqual({ resourceLogs: [] });
    expect(decodeExportLogsServiceRequestJson(utf8('{"resourceLogs":[]}'))).toEqual({ resourceLogs: [] });
  });

  it("reads the same request as the protobuf decoder does", () => {
    const doc = oneResource(
      [str("service.name", "api"), { key: "big", value: { intValue: "9223372036854775807" } }],
      [
        {
          timeUnixNano: "1700000000123456789",
          observedTimeUnixNano: "1700000000123456790",
          severityNumber: 9,
          severityText: "INFO",
          body: { arrayValue: { values: [{ stringValue: "a" }, { boolValue: true }, {}] } },
          attributes: [
            { key: "b", value: { bytesValue: "AQID" } },
            { key: "d", value: { doubleValue: 2.5 } },
          ],
          droppedAttributesCount: 1,
          flags: 257,
          traceId: "5b8efff798038103d269b633813fc60c",
          spanId: "eee19b7ec3c1b174",
          eventName: "e",
        },
        {},
      ],
      { name: "s", version: "v", attributes: [str("k", "v")], droppedAttributesCount: 2 },
    );
    const fromJson = decodeExportLogsServiceRequestJson(encodeLogsJson(doc));
    expect(fromJson).toEqual(decodeExportLogsServiceRequest(encodeLogsProto(doc)));
    expect(fromJson.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]).toEqual(emptyLogRecord());
  });

  it.each([
    ["a decimal string", "18446744073709551615", 2n ** 64n - 1n],
    ["a number", 1_700_000_000_000_000_000, 1_700_000_000_000_000_000n],
    ["null", null, 0n],
  ])("reads timeUnixNano from %s", (_, v, want) => {
    expect(firstRecord([{ timeUnixNano: v }]).timeUnixNano).toBe(want);
  });

  it.each([
    ["SEVERITY_NUMBER_UNSPECIFIED", 0],
    ["SEVERITY_NUMBER_TRACE", 1],
    ["SEVERITY_NUMBER_DEBUG2", 6],
    ["SEVERITY_NUMBER_INFO", 9],
    ["SEVERITY_NUMBER_WARN4", 16],
    ["SEVERITY_NUMBER_FATAL4", 24],
  ])("reads the severity name %s as %i", (name, n) => {
    expect(firstRecord([{ severityNumber: name }]).severityNumber).toBe(n);
  });

  it("reads ids as hex, case-insensitively, and all zeros as unset", () => {
    const lr = firstRecord([{ traceId: "5B8EFFF798038103D269B633813FC60C", spanId: "0000000000000000" }]);
    expect(lr.traceId).toBe("5b8efff798038103d269b633813fc60c");
    expect(lr.spanId).toBe("");
  });

  it.each([
    ["not JSON", "{", /not valid UTF-8 JSON/],
    ["an array at the top", "[]", /at \$: expected an object/],
    ["resourceLogs not an array", '{"resourceLogs":{}}', /at resourceLogs: expected an array/],
    [
      "a base64 trace id",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"W47/95gDgQPSabYzgT/GDA=="}]}]}]}',
      /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.traceId: expected 32 hex digits/,
    ],
    [
      "a short span id",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"abcd"}]}]}]}',
      /spanId: expected 16 hex digits/,
    ],
    [
      "a negative time",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"-1"}]}]}]}',
      /timeUnixNano: -1 is out of range/,
    ],
    [
      "a fractional time",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1.5}]}]}]}',
      /timeUnixNano: expected an integer/,
    ],
    [
      "an unknown severity name",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_LOUD"}]}]}]}',
      /unknown severity "SEVERITY_NUMBER_LOUD"/,
    ],
    [
      "two members of AnyValue",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a","intValue":"1"}}]}]}]}',
      /body: both stringValue and intValue are set/,
    ],
    [
      "a string attribute value of the wrong type",
      '{"resourceLogs":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":1}}]}}]}',
      /resource\.attributes\[0\]\.value\.stringValue: expected a string/,
    ],
    [
      "bad base64",
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"!!"}}]}]}]}',
      /bytesValue: expected base64 text/,
    ],
  ])("refuses %s", (_, body, re) => {
    expect(malformed(body)).toMatch(re);
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(() => decodeExportLogsServiceRequestJson(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(
      /not valid UTF-8 JSON/,
    );
  });

  it(`refuses bodies nested deeper than ${MAX_ANY_VALUE_DEPTH}`, () => {
    const nest = (depth: number) => {
      let v: Record<string, unknown> = { stringValue: "leaf" };
      for (let i = 1; i < depth; i++) v = { arrayValue: { values: [v] } };
      return JSON.stringify(oneResource([], [{ body: v }]));
    };
    expect(firstRecordBodyKind(nest(MAX_ANY_VALUE_DEPTH))).toBe("array");
    expect(malformed(nest(MAX_ANY_VALUE_DEPTH + 1))).toMatch(/nested deeper than 64/);
  });
});

function firstRecordBodyKind(json: string): string {
  return decodeExportLogsServiceRequestJson(utf8(json)).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body
    .kind;
}
