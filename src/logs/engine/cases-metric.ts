/**
 * LogQL metric-query cases, one group per feature of Loki's metric query documentation (range
 * aggregations with and without unwrap, vector aggregations, binary operators and vector matching,
 * literals, vector() and label_replace). `cases.ts` adds them to `LOGQL_CASES`, which
 * `engine.test.ts` runs.
 */
import { ALL, API, DB, FWD, type LogQLCase, S30, SHOP, WEB } from "./corpus.js";

/** Metric query cases by feature. */
export const METRIC_QUERY_CASES: readonly LogQLCase[] = [
  // --- Range aggregations: more unwrap forms, grouping, offset, absent ---
  {
    name: "unwrap range aggregation with without()",
    query:
      'sum_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) without (level, msg, status, size, env)',
    instant: 60,
    expect: { vector: [['{app="web"}', 2.2]] },
  },
  {
    name: "max_over_time by an extracted label",
    query: 'max_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (level)',
    instant: 60,
    expect: {
      vector: [
        ['{level="error"}', 2],
        ['{level="info"}', 0.15],
      ],
    },
  },
  {
    name: "duration_seconds() conversion",
    query: 'sum_over_time({app="web"} | logfmt | unwrap duration_seconds(duration) [2m]) by (app)',
    instant: 120,
    expect: { vector: [['{app="web"}', 5.7]] },
  },
  {
    name: "quantile_over_time interpolates between ranks",
    query: 'quantile_over_time(0.9, {app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 1.63]] },
  },
  {
    name: "avg_over_time of bytes() by level",
    query: 'avg_over_time({app="web"} | logfmt | unwrap bytes(size) [2m]) by (level)',
    instant: 120,
    expect: {
      vector: [
        ['{level="error"}', 300],
        ['{level="info"}', 1750],
        ['{level="warn"}', 10],
      ],
    },
  },
  {
    name: "unwrap aggregation over a range query",
    query: 'max_over_time({app="web"} | logfmt | unwrap status [30s]) by (app)',
    range: { start: 30, end: 90, step: 30 },
    expect: {
      matrix: {
        '{app="web"}': [
          [30, 500],
          [90, 200],
        ],
      },
    },
  },
  {
    name: "rate_counter counts a reset as a restart from zero",
    query: 'rate_counter({app="ctr"} | logfmt | unwrap c [30s])',
    streams: [
      {
        labels: { app: "ctr" },
        entries: [
          [10, "c=5"],
          [20, "c=8"],
          [30, "c=2"],
          [40, "c=4"],
        ],
      },
    ],
    instant: 40,
    expect: { vector: [['{app="ctr"}', 0.2]] },
  },
  {
    name: "unwrap skips the lines without the label rather than failing",
    query: 'sum by (app) (sum_over_time({env="prod"} | logfmt | unwrap status [1m]))',
    instant: 60,
    expect: { vector: [['{app="web"}', 901]] },
  },
  {
    name: "an ip() label filter keeps a line that already has an error",
    query: '{app="shop"} | json | addr = ip("10.0.0.0/8") | drop __error_details__',
    streams: SHOP,
    log: FWD,
    expect: { streams: { '{__error__="JSONParserErr", app="shop", level="debug"}': [[30, S30]] } },
  },
  {
    name: "| drop __error__ lets a metric query count lines a parser failed on",
    query: 'count_over_time({app="web"} | json | drop __error__, __error_details__ [1m])',
    instant: 60,
    expect: { vector: [[WEB, 3]] },
  },
  {
    name: "last_over_time over overlapping windows",
    query: 'last_over_time({app="web"} | logfmt | unwrap status [30s]) by (app)',
    range: { start: 20, end: 40, step: 10 },
    expect: {
      matrix: {
        '{app="web"}': [
          [20, 500],
          [30, 201],
          [40, 201],
        ],
      },
    },
  },
  {
    name: "offset over a range query",
    query: 'count_over_time({app="web"}[30s] offset 30s)',
    range: { start: 60, end: 120, step: 30 },
    expect: {
      matrix: {
        [WEB]: [
          [60, 3],
          [120, 1],
        ],
      },
    },
  },
  {
    name: "absent_over_time gives nothing where the selector has entries",
    query: 'absent_over_time({app="web"}[1m])',
    instant: 60,
    expect: { vector: [] },
  },
  {
    name: "absent_over_time with only regexp matchers has no labels",
    query: 'absent_over_time({app=~"nope.*"}[1m])',
    instant: 60,
    expect: { vector: [["{}", 1]] },
  },
  {
    name: "bytes_over_time counts the line after the pipeline",
    query: 'bytes_over_time({app="db"} | line_format "abc" [1m])',
    instant: 60,
    expect: { vector: [[DB, 3]] },
  },
  {
    name: "count_over_time grouped by a parsed label through sum by",
    query: 'sum by (level) (count_over_time({app="api"} | json [1m]))',
    instant: 70,
    expect: {
      vector: [
        ['{level="error"}', 1],
        ['{level="info"}', 2],
      ],
    },
  },
  {
    name: "rate over a range query",
    query: `sum(rate(${ALL}[20s]))`,
    range: { start: 20, end: 40, step: 20 },
    expect: {
      matrix: {
        "{}": [
          [20, 3 / 20],
          [40, 3 / 20],
        ],
      },
    },
  },

  // --- Vector aggregations: grouping forms, topk/bottomk ---
  {
    name: "avg by",
    query: `avg by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 2.5],
      ],
    },
  },
  {
    name: "max without",
    query: `max without (app) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 3],
      ],
    },
  },
  {
    name: "min by",
    query: `min by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 2],
      ],
    },
  },
  {
    name: "count by",
    query: `count by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 2],
      ],
    },
  },
  {
    name: "stddev by and stdvar without",
    query: `stddev by (env) (count_over_time(${ALL}[1m])) + stdvar without (app) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 0],
        ['{env="prod"}', 0.75],
      ],
    },
  },
  {
    name: "topk with k above 1",
    query: `topk(2, count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [API, 2],
        [WEB, 3],
      ],
    },
  },
  {
    name: "bottomk by group",
    query: `bottomk by (env) (1, count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [API, 2],
        [DB, 1],
      ],
    },
  },
  {
    name: "sort_desc of an aggregation",
    query: `sort_desc(sum by (env) (count_over_time(${ALL}[1m])))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="prod"}', 5],
        ['{env="dev"}', 1],
      ],
    },
  },

  // --- Binary operators between vectors, matching, set operators ---
  {
    name: "vector + vector matches series with the same labels",
    query: `count_over_time(${ALL}[1m]) + count_over_time(${ALL}[1m] offset 30s)`,
    instant: 60,
    expect: {
      vector: [
        [API, 4],
        [WEB, 6],
      ],
    },
  },
  {
    name: "vector comparison keeps the left value where true",
    query: `count_over_time(${ALL}[1m]) > count_over_time(${ALL}[1m] offset 20s)`,
    instant: 70,
    expect: { vector: [[API, 3]] },
  },
  {
    name: "vector comparison with bool gives 0 or 1 per match",
    query: `count_over_time(${ALL}[1m]) > bool count_over_time(${ALL}[1m] offset 20s)`,
    instant: 70,
    expect: {
      vector: [
        [API, 1],
        [DB, 0],
        [WEB, 0],
      ],
    },
  },
  {
    name: "one-to-one matching with ignoring() drops the ignored labels",
    query: 'count_over_time({app="web"}[1m]) + ignoring (app) count_over_time({app="api"}[1m])',
    instant: 60,
    expect: { vector: [['{env="prod"}', 5]] },
  },
  {
    name: "one-to-many matching with group_right keeps the right side's labels",
    query: `sum by (env) (count_over_time(${ALL}[1m])) / on (env) group_right count_over_time(${ALL}[1m])`,
    instant: 60,
    expect: {
      vector: [
        [API, 2.5],
        [DB, 1],
        [WEB, 5 / 3],
      ],
    },
  },
  {
    name: "group_left with labels copies them from the one side",
    query: `sum by (env) (count_over_time(${ALL}[1m])) * on (env) group_left (app) count_over_time({app="db"}[1m])`,
    instant: 60,
    expect: { vector: [['{app="db", env="dev"}', 1]] },
  },
  {
    name: "and on()",
    query: `count_over_time(${ALL}[1m]) and on (env) count_over_time({app="db"}[1m])`,
    instant: 60,
    expect: { vector: [[DB, 1]] },
  },
  {
    name: "unless ignoring()",
    query: `count_over_time(${ALL}[1m]) unless ignoring (app) count_over_time({app="web"}[1m])`,
    instant: 60,
    expect: { vector: [[DB, 1]] },
  },
  {
    name: "or keeps the left series on a match; * binds tighter than or",
    query: `count_over_time({app="web"}[1m]) * 10 or count_over_time(${ALL}[1m])`,
    instant: 60,
    expect: {
      vector: [
        [API, 2],
        [DB, 1],
        [WEB, 30],
      ],
    },
  },
  {
    name: "scalar on the left of a vector",
    query: '10 - count_over_time({app="web"}[1m])',
    instant: 60,
    expect: { vector: [[WEB, 7]] },
  },
  {
    name: "vector == bool scalar",
    query: `count_over_time(${ALL}[1m]) == bool 2`,
    instant: 60,
    expect: {
      vector: [
        [API, 1],
        [DB, 0],
        [WEB, 0],
      ],
    },
  },
  {
    name: "comparison over a range query drops the points where false",
    query: 'count_over_time({app="web"}[30s]) > 1',
    range: { start: 20, end: 80, step: 10 },
    expect: {
      matrix: {
        [WEB]: [
          [20, 2],
          [30, 3],
          [40, 2],
        ],
      },
    },
  },

  // --- Literals and LogQL arithmetic peculiarities ---
  { name: "false literal comparison gives 0", query: "1 > 2", instant: 60, expect: { scalar: 0 } },
  { name: "literal comparison with bool", query: "2 >= bool 3", instant: 60, expect: { scalar: 0 } },
  {
    name: "parentheses and precedence",
    query: "(1 + 2) * 3 - 2 * 3 ^ 2",
    instant: 60,
    expect: { scalar: -9 },
  },
  { name: "modulo keeps the dividend's sign", query: "-7 % 3", instant: 60, expect: { scalar: -1 } },
  { name: "zero divided by zero gives NaN", query: "0 / 0", instant: 60, expect: { scalar: Number.NaN } },
  {
    name: "vector divided by a zero vector gives NaN",
    query: 'count_over_time({app="web"}[1m]) / (count_over_time({app="web"}[1m]) - 3)',
    instant: 60,
    expect: { vector: [[WEB, Number.NaN]] },
  },
  {
    name: "vector modulo zero gives NaN",
    query: 'count_over_time({app="web"}[1m]) % 0',
    instant: 60,
    expect: { vector: [[WEB, Number.NaN]] },
  },

  {
    name: "on() with group_left matches every series against a label-less one",
    query: `count_over_time(${ALL}[1m]) * on () group_left vector(2)`,
    instant: 60,
    expect: {
      vector: [
        [API, 4],
        [DB, 2],
        [WEB, 6],
      ],
    },
  },
  // --- vector() and label_replace ---
  {
    name: "vector() has no labels, so it matches only a label-less series",
    query: 'vector(2) * count_over_time({app="web"}[1m])',
    instant: 60,
    expect: { vector: [] },
  },
  {
    name: "vector() added to a label-less aggregation",
    query: `sum(count_over_time(${ALL}[1m])) + vector(4)`,
    instant: 60,
    expect: { vector: [["{}", 10]] },
  },
  {
    name: "label_replace with an empty replacement removes the label",
    query: 'label_replace(count_over_time({app="db"}[1m]), "env", "", "env", ".*")',
    instant: 60,
    expect: { vector: [['{app="db"}', 1]] },
  },
  {
    name: "label_replace with a named group",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${name}` is label_replace's syntax
    query: 'label_replace(count_over_time({app="web"}[1m]), "tier", "${name}-tier", "env", "(?P<name>p.*)")',
    instant: 60,
    expect: { vector: [['{app="web", env="prod", tier="prod-tier"}', 3]] },
  },
];
