import { describe, expect, it } from "vitest";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import {
  anyValue,
  bytes,
  double,
  INT64_MAX,
  INT64_MIN,
  integer,
  OtlpJsonError,
  oneOf,
  readDocument,
  uint32,
} from "./otlp-json.js";

/** The error `f` throws, or a failed assertion when it returns. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err: unknown) {
    return err;
  }
  return expect.fail("expected a throw");
}

describe("OTLP/JSON readers", () => {
  it.each([
    ["a decimal string", "-42", -42n],
    ["a number", 7, 7n],
    ["unset", undefined, 0n],
    ["null", null, 0n],
    ["the largest int64", "9223372036854775807", INT64_MAX],
  ])("read an integer from %s", (_name, v, want) => {
    expect(integer(v, "x", INT64_MIN, INT64_MAX)).toBe(want);
  });

  it.each([
    ["a fraction", 1.5, "x: expected an integer (a decimal string or a number)"],
    ["a 31-digit string", "1".repeat(31), "x: expected an integer (a decimal string or a number)"],
    ["one past int64", "9223372036854775808", "x: 9223372036854775808 is out of range"],
    ["a word", "ten", "x: expected an integer"],
  ])("refuse an integer from %s, naming the path", (_name, v, want) => {
    const err = thrown(() => integer(v, "x", INT64_MIN, INT64_MAX));
    expect(err).toBeInstanceOf(OtlpJsonError);
    expect((err as OtlpJsonError).message).toContain(want);
    expect((err as OtlpJsonError).path).toBe("x");
  });

  it("reads doubles, uint32 and base64 as protobuf JSON writes them", () => {
    expect(double("-Infinity", "d")).toBe(Number.NEGATIVE_INFINITY);
    expect(double("1e3", "d")).toBe(1000);
    expect(Number.isNaN(double("NaN", "d"))).toBe(true);
    expect(uint32("4294967295", "u")).toBe(4294967295);
    expect(() => uint32(-1, "u")).toThrow(/u: -1 is out of range/);
    expect(bytes("AQID", "b")).toEqual(new Uint8Array([1, 2, 3]));
    expect(bytes("-_8", "b")).toEqual(new Uint8Array([0xfb, 0xff])); // URL-safe, unpadded
    expect(() => bytes("A", "b")).toThrow(/b: expected base64 text/);
  });

  it("refuses two members of one oneof", () => {
    expect(oneOf({ a: 1, b: null }, ["a", "b"], "o")).toBe("a");
    expect(() => oneOf({ a: 1, b: 2 }, ["a", "b"], "o")).toThrow(/o: both a and b are set/);
  });

  it("reads nested AnyValues up to the depth limit", () => {
    const nested = (depth: number): unknown =>
      depth === 0 ? { intValue: "1" } : { arrayValue: { values: [nested(depth - 1)] } };
    expect(anyValue(nested(MAX_ANY_VALUE_DEPTH - 1), "v", 1)).toMatchObject({ kind: "array" });
    expect(() => anyValue(nested(MAX_ANY_VALUE_DEPTH), "v", 1)).toThrow(/nested deeper than/);
    expect(anyValue({ kvlistValue: { values: [{ key: "k", value: { boolValue: true } }] } }, "v", 1)).toEqual(
      {
        kind: "kvlist",
        values: [{ key: "k", value: { kind: "bool", value: true } }],
      },
    );
  });

  it("turns a reader's error into the caller's, and lets other errors through", () => {
    const malformed = (err: OtlpJsonError) => new RangeError(`at ${err.path}: ${err.detail}`);
    expect(readDocument(null, (root) => Object.keys(root).length, malformed)).toBe(0);
    expect(() => readDocument([], () => 1, malformed)).toThrow(new RangeError("at $: expected an object"));
    const bug = new TypeError("a bug");
    expect(
      thrown(() =>
        readDocument(
          {},
          () => {
            throw bug;
          },
          malformed,
        ),
      ),
    ).toBe(bug);
  });
});
