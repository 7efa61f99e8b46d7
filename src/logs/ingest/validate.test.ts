import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PushEntry, PushError, type PushRequest } from "../../wire/loki/index.js";
import { DEFAULT_LOG_INGEST_LIMITS, type LogIngestLimits } from "./limits.js";
import { pushErrorToHttp, pushOutcome } from "./push-outcome.js";
import { type LogRefusalReason, truncateUtf8, validatePush } from "./validate.js";

const NOW_MS = 1_700_000_000_000;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;
const MIN = 60_000_000_000n; // ns

function entry(line: string, at: bigint = NOW_NS, md?: [string, string][]): PushEntry {
  return md === undefined ? { timestampNs: at, line } : { timestampNs: at, line, structuredMetadata: md };
}

function one(labels: string, e: PushEntry, limits: Partial<LogIngestLimits> = {}) {
  return validatePush(
    { streams: [{ labels, entries: [e] }] },
    { ...DEFAULT_LOG_INGEST_LIMITS, ...limits },
    NOW_MS,
  );
}

describe("validatePush: one entry", () => {
  const cases: {
    name: string;
    labels?: string;
    entry: PushEntry;
    limits?: Partial<LogIngestLimits>;
    reason?: LogRefusalReason;
    message?: RegExp;
  }[] = [
    { name: "a valid entry", entry: entry("hello") },
    { name: "an entry just inside the grace period", entry: entry("x", NOW_NS + 10n * MIN) },
    {
      name: "an entry past the grace period",
      entry: entry("x", NOW_NS + 10n * MIN + 1n),
      reason: "too_far_in_future",
      message:
        /entry too far in the future: more than creation_grace_period 10m \(limits\.creation_grace_period\)/,
    },
    { name: "an entry exactly max age old", entry: entry("x", NOW_NS - 7n * 24n * 60n * MIN) },
    {
      name: "an entry older than max age",
      entry: entry("x", NOW_NS - 7n * 24n * 60n * MIN - 1n),
      reason: "greater_than_max_sample_age",
      message:
        /entry at 2023-11-07T22:13:19\.999999999Z: entry too old: older than reject_old_samples_max_age 1w \(limits\.reject_old_samples_max_age\); .*turn off limits\.reject_old_samples/,
    },
    {
      name: "an old entry when reject_old_samples is off",
      entry: entry("x", -5n),
      limits: { reject_old_samples: false },
    },
    {
      name: "a line over max_line_size",
      entry: entry("x".repeat(300_000)),
      reason: "line_too_long",
      message:
        /line too long: 300000 bytes > max_line_size 262144 \(limits\.max_line_size\); .*limits\.max_line_size_truncate/,
    },
    { name: "a line at max_line_size", entry: entry("é".repeat(5)), limits: { max_line_size: 10 } },
    {
      name: "a line over max_line_size counted in bytes",
      entry: entry("é".repeat(6)),
      limits: { max_line_size: 11 },
      reason: "line_too_long",
      message: /12 bytes > max_line_size 11/,
    },
    {
      name: "any line when max_line_size is 0",
      entry: entry("x".repeat(300_000)),
      limits: { max_line_size: 0 },
    },
    {
      name: "too many structured metadata entries",
      entry: entry("x", NOW_NS, [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ]),
      limits: { max_structured_metadata_entries_count: 2 },
      reason: "structured_metadata_too_many",
      message:
        /3 > max_structured_metadata_entries_count 2 \(limits\.max_structured_metadata_entries_count\)/,
    },
    {
      name: "structured metadata too large",
      entry: entry("x", NOW_NS, [["trace_id", "0123456789"]]),
      limits: { max_structured_metadata_size: 17 },
      reason: "structured_metadata_too_large",
      message: /18 bytes > max_structured_metadata_size 17 \(limits\.max_structured_metadata_size\)/,
    },
    {
      name: "structured metadata at the size limit",
      entry: entry("x", NOW_NS, [["trace_id", "0123456789"]]),
      limits: { max_structured_metadata_size: 18 },
    },
    {
      name: "unparsable labels",
      labels: '{app="web"',
      entry: entry("x"),
      reason: "invalid_labels",
      message: /stream labels "\{app=\\"web\\"": missing '\}'.*\(1 entries refused\)/,
    },
    {
      name: "an invalid label name",
      labels: '{"app-name"="web"}',
      entry: entry("x"),
      reason: "invalid_labels",
      message: /invalid label name "app-name"/,
    },
    {
      name: "a reserved label name",
      labels: '{__name__="web", app="x"}',
      entry: entry("x"),
      reason: "invalid_labels",
      message: /label name "__name__" is reserved/,
    },
    {
      name: "no labels",
      labels: "{}",
      entry: entry("x"),
      reason: "missing_labels",
      message: /stream \{\} has no labels with a value/,
    },
    {
      name: "only empty label values",
      labels: '{a=""}',
      entry: entry("x"),
      reason: "missing_labels",
    },
    {
      name: "too many labels",
      labels: '{a="1", b="2", c="3"}',
      entry: entry("x"),
      limits: { max_label_names_per_series: 2 },
      reason: "max_label_names_per_series",
      message: /3 labels > max_label_names_per_series 2 \(limits\.max_label_names_per_series\)/,
    },
    {
      name: "empty label values not counted",
      labels: '{a="1", b="2", c=""}',
      entry: entry("x"),
      limits: { max_label_names_per_series: 2 },
    },
    {
      name: "a label name too long",
      labels: '{abcdef="1"}',
      entry: entry("x"),
      limits: { max_label_name_length: 5 },
      reason: "label_name_too_long",
      message: /label name "abcdef" is 6 bytes > max_label_name_length 5 \(limits\.max_label_name_length\)/,
    },
    {
      name: "a label value too long",
      labels: '{a="ééé"}',
      entry: entry("x"),
      limits: { max_label_value_length: 5 },
      reason: "label_value_too_long",
      message: /value of label a is 6 bytes > max_label_value_length 5 \(limits\.max_label_value_length\)/,
    },
  ];

  it.each(cases)("$name", (c) => {
    const v = one(c.labels ?? '{app="web"}', c.entry, c.limits);
    if (c.reason === undefined) {
      expect(v.errors).toEqual([]);
      expect(v.accepted).toBe(1);
      expect(v.refused).toBe(0);
      expect(v.streams).toHaveLength(1);
      expect(v.streams[0]!.entries).toEqual([c.entry]);
      return;
    }
    expect(v.accepted).toBe(0);
    expect(v.streams).toEqual([]);
    expect(v.refused).toBe(1);
    expect(v.refusedByReason).toEqual({ [c.reason]: 1 });
    expect(v.errors).toHaveLength(1);
    if (c.message !== undefined) expect(v.errors[0]).toMatch(c.message);
  });
});

describe("validatePush: requests", () => {
  it("keeps the valid entries and refuses the others, counting by reason", () => {
    const req: PushRequest = {
      streams: [
        {
          labels: '{app="web", env="prod"}',
          entries: [entry("ok 1"), entry("x".repeat(20)), entry("ok 2", 0n)],
        },
        { labels: "{}", entries: [entry("a"), entry("b")] },
        { labels: '{env="prod",app="web"}', entries: [entry("ok 3")] },
        { labels: "not even labels", entries: [] },
      ],
    };
    const v = validatePush(req, { ...DEFAULT_LOG_INGEST_LIMITS, max_line_size: 10 }, NOW_MS);
    expect(v.accepted).toBe(2);
    expect(v.acceptedBytes).toBe(8);
    expect(v.refused).toBe(4);
    expect(v.refusedByReason).toEqual({
      line_too_long: 1,
      greater_than_max_sample_age: 1,
      missing_labels: 2,
    });
    expect(v.streams).toEqual([
      {
        labels: [
          ["app", "web"],
          ["env", "prod"],
        ],
        key: '{app="web", env="prod"}',
        entries: [entry("ok 1"), entry("ok 3")],
      },
    ]);
    expect(v.errors).toHaveLength(3);
  });

  it("truncates long lines at a character boundary when asked", () => {
    const v = one('{a="b"}', entry(`abc${"é".repeat(10)}`), {
      max_line_size: 8,
      max_line_size_truncate: true,
    });
    expect(v.truncated).toBe(1);
    expect(v.refused).toBe(0);
    expect(v.streams[0]!.entries[0]!.line).toBe("abcéé");
    expect(v.acceptedBytes).toBe(7);
  });

  it("keeps only the first few messages", () => {
    const entries = Array.from({ length: 10 }, () => entry("x", 0n));
    const v = validatePush({ streams: [{ labels: '{a="b"}', entries }] }, DEFAULT_LOG_INGEST_LIMITS, NOW_MS, {
      maxErrors: 3,
    });
    expect(v.refused).toBe(10);
    expect(v.errors).toHaveLength(3);
  });

  it("names the tenant's own setting when given", () => {
    const v = validatePush(
      { streams: [{ labels: '{a="b"}', entries: [entry("xx")] }] },
      { ...DEFAULT_LOG_INGEST_LIMITS, max_line_size: 1 },
      NOW_MS,
      { setting: (name) => `logs.tenant_limits.t1.${name}` },
    );
    expect(v.errors[0]).toMatch(/\(logs\.tenant_limits\.t1\.max_line_size\)/);
  });

  it("never throws and accounts for every entry", () => {
    const arbEntry = fc.record({
      timestampNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      line: fc.string({ maxLength: 30 }),
    });
    const arbStream = fc.record({
      labels: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('{a="b"}', "{}", '{__x="1"}', '{a="1",b="2",c="3"}'),
      ),
      entries: fc.array(arbEntry, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(arbStream, { maxLength: 5 }), fc.boolean(), (streams, truncate) => {
        const v = validatePush(
          { streams },
          {
            ...DEFAULT_LOG_INGEST_LIMITS,
            max_line_size: 10,
            max_line_size_truncate: truncate,
            max_label_names_per_series: 2,
          },
          NOW_MS,
        );
        const total = streams.reduce((n, s) => n + s.entries.length, 0);
        expect(v.accepted + v.refused).toBe(total);
        expect(Object.values(v.refusedByReason).reduce((a, b) => a + b, 0)).toBe(v.refused);
        expect(v.streams.reduce((n, s) => n + s.entries.length, 0)).toBe(v.accepted);
      }),
    );
  });
});

describe("truncateUtf8", () => {
  it.each([
    ["abc", 2, "ab"],
    ["abc", 3, "abc"],
    ["éé", 3, "é"],
    ["a😀", 4, "a"],
    ["a😀", 5, "a😀"],
    ["", 0, ""],
  ])("%j to %i bytes is %j", (s, n, want) => {
    expect(truncateUtf8(s, n)).toBe(want);
  });

  it("never exceeds the limit nor splits a character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 20 }), fc.nat(60), (s, n) => {
        const t = truncateUtf8(s, n);
        expect(Buffer.byteLength(t, "utf8")).toBeLessThanOrEqual(n);
        expect(s.startsWith(t)).toBe(true);
        if (Buffer.byteLength(s, "utf8") <= n) expect(t).toBe(s);
      }),
    );
  });
});

describe("pushOutcome", () => {
  it("is 204 when nothing was refused", () => {
    expect(pushOutcome(one('{a="b"}', entry("x")))).toEqual({ status: 204, body: "" });
  });

  it("is 400 listing the refusals, the rest kept", () => {
    const req: PushRequest = {
      streams: [{ labels: '{a="b"}', entries: [entry("x", 0n), entry("y", 1n), entry("z")] }],
    };
    const out = pushOutcome(validatePush(req, DEFAULT_LOG_INGEST_LIMITS, NOW_MS, { maxErrors: 1 }));
    expect(out.status).toBe(400);
    expect(out.body).toMatch(
      /^2 entries refused \(greater_than_max_sample_age=2\), 1 accepted:\n.*entry too old.*\n\(and 1 more\)\n$/,
    );
  });
});

describe("pushErrorToHttp", () => {
  it.each([
    ["malformed", 400],
    ["corrupt", 400],
    ["too_large", 413],
    ["unsupported_media_type", 415],
  ] as const)("maps %s to %i", (code, status) => {
    const err = pushErrorToHttp(new PushError(code, "m"));
    expect(err.status).toBe(status);
    expect(err.message).toBe("m");
  });
});
