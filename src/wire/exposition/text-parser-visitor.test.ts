import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Labels } from "../../model/labels.js";
import { WireError } from "../errors.js";
import { parseTextExposition, visitTextExposition } from "./text-parser.js";

/** Valid expositions whose mutations the fuzz tests parse. */
const SEEDS: readonly [string, boolean][] = [
  [
    '# HELP a_total Help \\n "text".\n# TYPE a_total counter\na_total{x="1",y="a\\"b"} 3 1600000000000\nb 1e3\n',
    false,
  ],
  ['{"my.metric","la.bel"="v"} 1\nc{le="+Inf"} NaN\n', false],
  // Lines the visiting parser reads from their end: braces and blanks in values, tabs, trailing
  // blanks, timestamps after plain names, values it computes itself and values it leaves to Number.
  ['a{x="} 1",y="b c"} 2 3\nb\t{y="q r" , z="s"}  -0.25   -5  \nc 6\t\nd +.5 0\ne{} 1e-3\n', false],
  ['f 123456789012345.5\ng{a="1"}1\nh -Inf 17\ni 0.1234567890123456789\n', false],
  [
    '# TYPE a counter\n# UNIT a seconds\na_total{x="1"} 3 1600000000.5 # {trace_id="t"} 1 1600000000\na_created 1600000000\n# EOF\n',
    true,
  ],
  ['# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3.5\n# EOF\n', true],
  // Comment lines around the shortcut for "# HELP name …" and "# TYPE name type": no help text,
  // colons, quoted names, other spacing, other keywords, a trailing blank after the type.
  [
    '# HELP a:b\n# TYPE a:b gauge\na:b 1\n#  HELP c x\n# TYPE\tc summary\n# HELP "d.e" y z\n# TYPE d gauge \n# note\n#HELP q\nc 2\n',
    false,
  ],
  ["# HELP a x\n# TYPE a gaugehistogram\n# UNIT a s\n# HELP b\n# TYPE b info\nb_info 1\n# EOF\n", true],
];

const mutation = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  edits: fc.array(
    fc.record({
      at: fc.nat(),
      del: fc.nat(3),
      insert: fc.string({ unit: fc.constantFrom(...'{}",=#\\ \n\t1aé'), maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

function mutate(m: {
  seed: number;
  edits: { at: number; del: number; insert: string }[];
}): [string, boolean] {
  let [text, om] = SEEDS[m.seed]!;
  for (const e of m.edits) {
    const at = e.at % (text.length + 1);
    text = text.slice(0, at) + e.insert + text.slice(at + e.del);
  }
  return [text, om];
}

/** Runs `fn`, returning its result or the WireError it threw; anything else fails the test. */
function outcome<T>(fn: () => T): T | WireError {
  try {
    return fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    expect((e as WireError).message).toMatch(/^(OpenMetrics|text exposition) line \d+: /);
    return e as WireError;
  }
}

describe("visitTextExposition", () => {
  it("parses mutated expositions or throws a WireError naming the line", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const [text, openMetrics] = mutate(m);
        outcome(() => parseTextExposition(text, { openMetrics }));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with parseTextExposition when every label set is asked for", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const [text, openMetrics] = mutate(m);
        const want = outcome(() => parseTextExposition(text, { openMetrics }).samples);
        const got = outcome(() => {
          const out: { labels: Labels; value: number; timestamp?: number }[] = [];
          visitTextExposition(
            text,
            { openMetrics },
            {
              sample(_series, value, timestamp, parsed) {
                const labels = parsed.labels();
                out.push(Number.isNaN(timestamp) ? { labels, value } : { labels, value, timestamp });
              },
            },
          );
          return out;
        });
        expect(got instanceof WireError).toBe(want instanceof WireError);
        if (!(want instanceof WireError)) expect(got).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives equal label sets for equal series texts (sound as a cache key)", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 2, maxLength: 4 }), (ms) => {
        const seen = new Map<string, string>();
        for (const m of ms) {
          const [text, openMetrics] = mutate(m);
          outcome(() =>
            visitTextExposition(
              text,
              { openMetrics },
              {
                sample(series, _v, _t, parsed) {
                  const key = parsed.labels().key();
                  expect(seen.get(series) ?? key).toBe(key);
                  seen.set(series, key);
                },
              },
            ),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the raw series text and NaN for a missing timestamp, parsing labels only on demand", () => {
    const got: [string, number, number][] = [];
    visitTextExposition(
      'a{x="}"} 1\nb 2 17\n{"c"} 3\n',
      { openMetrics: false },
      {
        sample(series, value, timestamp) {
          got.push([series, value, timestamp]);
        },
      },
    );
    expect(got).toEqual([
      ['a{x="}"}', 1, Number.NaN],
      ["b", 2, 17],
      ['{"c"}', 3, Number.NaN],
    ]);
  });

  it("reports a malformed label set when the labels are asked for, naming the line", () => {
    const text = "ok 1\nbad{x=1} 2\n";
    expect(() =>
      visitTextExposition(text, { openMetrics: false }, { sample: (_s, _v, _t, p) => void p.labels() }),
    ).toThrow(/^text exposition line 2: expected a quoted value for label "x"/);
  });

  it("survives pathological input without hanging", () => {
    for (const text of [
      "{".repeat(200_000),
      `a{${'x="'.repeat(50_000)}`,
      `a ${"1".repeat(100_000)}\n`,
      "\\".repeat(100_000),
    ]) {
      outcome(() => parseTextExposition(text, { openMetrics: false }));
      outcome(() => parseTextExposition(text, { openMetrics: true }));
    }
  });
});

describe("OpenMetrics details", () => {
  it("accepts exactly the TYPE words the full parse accepts", () => {
    const words = ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"];
    const nearMisses = [
      "unknown",
      "untyped",
      "Counter",
      "count",
      "counterx",
      "gauges",
      "inf",
      "",
      "histogra",
    ];
    for (const openMetrics of [false, true]) {
      for (const word of [...words, ...nearMisses]) {
        const text = `# TYPE m ${word}\nm 1\n${openMetrics ? "# EOF\n" : ""}`;
        const full = outcome(() => parseTextExposition(text, { openMetrics }));
        const visited = outcome(() => visitTextExposition(text, { openMetrics }, { sample() {} }));
        expect(visited instanceof WireError, `${word} (OpenMetrics: ${openMetrics})`).toBe(
          full instanceof WireError,
        );
      }
    }
  });

  it("keeps _created series, ignores exemplars and reports UNIT", () => {
    const om = SEEDS.find(([text]) => text.includes("# UNIT"))![0];
    const e = parseTextExposition(om, { openMetrics: true });
    expect(e.samples.map((s) => [s.labels.toString(), s.value, s.timestamp])).toEqual([
      ['a_total{x="1"}', 3, 1_600_000_000_500],
      ["a_created", 1_600_000_000, undefined],
    ]);
    expect(e.metadata).toEqual([{ name: "a", type: "counter", help: "", unit: "seconds" }]);
  });
});
