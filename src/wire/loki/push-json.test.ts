import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PushError } from "./errors.js";
import { arbPush, encodePushRequestJson, toPushRequest } from "./push.testlib.js";
import { decodePushRequestJson } from "./push-json.js";

const enc = new TextEncoder();

function decode(s: string): ReturnType<typeof decodePushRequestJson> {
  return decodePushRequestJson(enc.encode(s));
}

describe("decodePushRequestJson", () => {
  it("decodes Loki's documented example", () => {
    const body = `{"streams":[
      {"stream":{"env":"prod","app":"web"},
       "values":[
         ["1700000000000000000","GET /api 200"],
         ["1700000000500000000","POST /login 500",{"trace_id":"abc","user":"u1"}]
       ]}
    ]}`;
    expect(decode(body)).toEqual({
      streams: [
        {
          labels: '{app="web", env="prod"}',
          entries: [
            { timestampNs: 1_700_000_000_000_000_000n, line: "GET /api 200" },
            {
              timestampNs: 1_700_000_000_500_000_000n,
              line: "POST /login 500",
              structuredMetadata: [
                ["trace_id", "abc"],
                ["user", "u1"],
              ],
            },
          ],
        },
      ],
    });
  });

  it("drops an empty structured metadata object", () => {
    expect(
      decode('{"streams":[{"stream":{"a":"b"},"values":[["1","x",{}]]}]}').streams[0]!.entries[0],
    ).toEqual({
      timestampNs: 1n,
      line: "x",
    });
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "{", /not valid UTF-8 JSON/],
    ["not an object", "[]", /expected an object with a "streams" array/],
    ["no streams", "{}", /at streams: expected an array/],
    ["stream not an object", '{"streams":[1]}', /at streams\[0\]: expected an object/],
    [
      "labels not an object",
      '{"streams":[{"stream":"{a=\\"b\\"}","values":[]}]}',
      /streams\[0\]\.stream: expected an object of string values, not a string/,
    ],
    [
      "label value not a string",
      '{"streams":[{"stream":{"a":1},"values":[]}]}',
      /streams\[0\]\.stream\.a: values must be strings, not a number/,
    ],
    ["no values", '{"streams":[{"stream":{"a":"b"}}]}', /streams\[0\]\.values: expected an array/],
    ["value not a pair", '{"streams":[{"stream":{"a":"b"},"values":[["1"]]}]}', /values\[0\]: expected \[/],
    [
      "numeric timestamp",
      '{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}',
      /must be a string of nanoseconds since the epoch, not a number/,
    ],
    [
      "float timestamp",
      '{"streams":[{"stream":{"a":"b"},"values":[["1.5","x"]]}]}',
      /"1\.5" is not an integer/,
    ],
    [
      "int64 overflow",
      '{"streams":[{"stream":{"a":"b"},"values":[["9223372036854775808","x"]]}]}',
      /does not fit a 64-bit integer/,
    ],
    [
      "line not a string",
      '{"streams":[{"stream":{"a":"b"},"values":[["1",null]]}]}',
      /values\[0\]\[1\]: the line must be a string, not null/,
    ],
    [
      "metadata not strings",
      '{"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":[]}]]}]}',
      /values\[0\]\[2\]\.k: values must be strings, not an array/,
    ],
  ];
  it.each(bad)("refuses %s", (_, body, want) => {
    expect(() => decode(body)).toThrow(PushError);
    expect(() => decode(body)).toThrow(want);
  });

  it("refuses invalid UTF-8", () => {
    expect(() => decodePushRequestJson(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8 JSON/);
  });

  it("round-trips any request", () => {
    fc.assert(
      fc.property(arbPush, (streams) => {
        expect(decodePushRequestJson(encodePushRequestJson(streams))).toEqual(toPushRequest(streams));
      }),
    );
  });

  it("never throws anything but PushError on mutated or random text", () => {
    const arbBody = fc.oneof(
      fc.json().map((s) => enc.encode(s)),
      fc.uint8Array({ maxLength: 100 }),
      fc.tuple(arbPush, fc.nat(), fc.string({ maxLength: 4 })).map(([streams, at, junk]) => {
        const s = new TextDecoder().decode(encodePushRequestJson(streams));
        const i = at % (s.length + 1);
        return enc.encode(s.slice(0, i) + junk + s.slice(i + 1));
      }),
    );
    fc.assert(
      fc.property(arbBody, (body) => {
        try {
          decodePushRequestJson(body);
        } catch (err) {
          expect(err).toBeInstanceOf(PushError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("copes with deeply nested JSON", () => {
    const deep = `{"streams":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expect(() => decode(deep)).toThrow(PushError);
  });
});
