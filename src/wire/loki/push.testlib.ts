/**
 * Encoders of Loki push bodies for tests: the `logproto.PushRequest` protobuf (optionally snappy'd,
 * from `push-encode.ts`) and the JSON form, plus fast-check arbitraries of push requests.
 */
import fc from "fast-check";
import { formatStreamLabels } from "./stream-labels.js";
import type { PushEntry, PushRequest } from "./types.js";

/** The protobuf encoder the benchmarks use, under the names the tests know. */
export {
  encodePushProto as encodePushRequestProto,
  encodePushSnappy as encodePushRequestSnappy,
} from "./push-encode.js";

/** Streams given as label pairs (not selector text) as a JSON push body. */
export function encodePushRequestJson(
  streams: { labels: [string, string][]; entries: PushEntry[] }[],
): Uint8Array {
  const doc = {
    streams: streams.map((s) => ({
      stream: Object.fromEntries(s.labels),
      values: s.entries.map((e) =>
        e.structuredMetadata === undefined
          ? [String(e.timestampNs), e.line]
          : [String(e.timestampNs), e.line, Object.fromEntries(e.structuredMetadata)],
      ),
    })),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Label names: valid ones, mostly short. */
export const arbLabelName: fc.Arbitrary<string> = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);

/** Strings without lone surrogates (those cannot survive UTF-8), with escapes and non-ASCII likely. */
export const arbText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom("a", '"', "\\", "\n", "\t", "\u0000", "\u007f", "é", "😀", "`", "{", "}", ",", "="),
    maxLength: 12,
  }),
);

/** A label set with distinct names, as sorted pairs. */
export const arbLabels: fc.Arbitrary<[string, string][]> = fc
  .uniqueArray(fc.tuple(arbLabelName, arbText), { selector: (p) => p[0], maxLength: 6 })
  .map((pairs) => pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));

/** Timestamps that fit an int64 of nanoseconds (years 1677 to 2262), including before 1970. */
export const arbTimestampNs: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

/** One entry, with or without structured metadata. */
export const arbEntry: fc.Arbitrary<PushEntry> = fc
  .record({
    timestampNs: arbTimestampNs,
    line: arbText,
    md: fc.option(
      fc.uniqueArray(fc.tuple(arbLabelName, arbText), { selector: (p) => p[0], minLength: 1, maxLength: 3 }),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ timestampNs, line, md }) =>
    md === undefined ? { timestampNs, line } : { timestampNs, line, structuredMetadata: md },
  );

/** A push request with its streams' label pairs (labels text is their {@link formatStreamLabels}). */
export const arbPush: fc.Arbitrary<{ labels: [string, string][]; entries: PushEntry[] }[]> = fc.array(
  fc.record({ labels: arbLabels, entries: fc.array(arbEntry, { maxLength: 5 }) }),
  { maxLength: 4 },
);

/** The {@link PushRequest} of an {@link arbPush} value. */
export function toPushRequest(streams: { labels: [string, string][]; entries: PushEntry[] }[]): PushRequest {
  return { streams: streams.map((s) => ({ labels: formatStreamLabels(s.labels), entries: s.entries })) };
}
