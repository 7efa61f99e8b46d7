/**
 * LogQL cases for the engine, written from Loki's LogQL documentation: input streams, a query, and
 * the expected result. Data only: the core cases are here, the cases by feature in `cases-log.ts` and
 * `cases-metric.ts`, the inputs in `corpus.ts`; a case is added to the list of its kind, and the
 * runner is `engine.test.ts`. Times are in seconds (Unix); windows of range aggregations are
 * `(t − range, t]`.
 */

import { LOG_QUERY_CASES } from "./cases-log.js";
import { METRIC_QUERY_CASES } from "./cases-metric.js";
import {
  A15,
  A25,
  ALL,
  API,
  COUNTER,
  D40,
  DB,
  FWD,
  type LogQLCase,
  W10,
  W20,
  W30,
  W70,
  WEB,
} from "./corpus.js";

export { type CaseExpectation, type CaseStream, CORPUS, type LogQLCase } from "./corpus.js";

/** The first cases: the core of each kind of query. */
const CORE_CASES: readonly LogQLCase[] = [
  // --- Log queries ---
  {
    name: "stream selector, forward",
    query: '{app="web"}',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [20, W20],
          [30, W30],
          [70, W70],
        ],
      },
    },
  },
  {
    name: "backward with a limit returns the newest entries",
    query: '{app="web"}',
    log: { ...FWD, direction: "backward", limit: 2 },
    expect: {
      streams: {
        [WEB]: [
          [70, W70],
          [30, W30],
        ],
      },
    },
  },
  {
    name: "limit applies across streams",
    query: '{env="prod"}',
    log: { ...FWD, limit: 3 },
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [20, W20],
        ],
        [API]: [[15, A15]],
      },
    },
  },
  {
    name: "end is exclusive",
    query: '{app="web"}',
    log: { ...FWD, start: 10, end: 30 },
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [20, W20],
        ],
      },
    },
  },
  {
    name: "line filter contains",
    query: '{env="prod"} |= "error"',
    log: FWD,
    expect: { streams: { [WEB]: [[20, W20]], [API]: [[25, A25]] } },
  },
  {
    name: "line filter regexp and not-contains",
    query: '{env=~".+"} |~ "GET|trace" != "slow"',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [20, W20],
        ],
        [DB]: [[40, D40]],
      },
    },
  },
  {
    name: "logfmt parser and numeric label filter regroup streams by extracted labels",
    query: '{app="web"} | logfmt | status >= 500 | keep app, level',
    log: FWD,
    expect: { streams: { '{app="web", level="error"}': [[20, W20]] } },
  },
  {
    name: "logfmt parser with a duration label filter",
    query: '{app="web"} | logfmt | duration > 1s | keep app, status',
    log: FWD,
    expect: {
      streams: { '{app="web", status="500"}': [[20, W20]], '{app="web", status="200"}': [[70, W70]] },
    },
  },
  {
    name: "json parser and label filter",
    query: '{app="api"} | json | level="error" | keep app, path',
    log: FWD,
    expect: { streams: { '{app="api", path="/b"}': [[25, A25]] } },
  },
  {
    name: "no stream matches",
    query: '{app="none"}',
    log: FWD,
    expect: { streams: {} },
  },

  // --- Range aggregations without unwrap ---
  {
    name: "count_over_time over (t-range, t] windows; empty windows give no point",
    query: 'count_over_time({app="web"}[30s])',
    range: { start: 30, end: 90, step: 30 },
    expect: {
      matrix: {
        [WEB]: [
          [30, 3],
          [90, 1],
        ],
      },
    },
  },
  {
    name: "count_over_time with overlapping windows (step < range)",
    query: 'count_over_time({app="web"}[30s])',
    range: { start: 20, end: 80, step: 10 },
    expect: {
      matrix: {
        [WEB]: [
          [20, 2],
          [30, 3],
          [40, 2],
          [50, 1],
          [70, 1],
          [80, 1],
        ],
      },
    },
  },
  {
    name: "rate is lines per second",
    query: 'rate({app="web"}[30s])',
    range: { start: 30, end: 90, step: 30 },
    expect: {
      matrix: {
        [WEB]: [
          [30, 0.1],
          [90, 1 / 30],
        ],
      },
    },
  },
  {
    name: "bytes_over_time",
    query: 'bytes_over_time({app="db"}[1m])',
    instant: 60,
    expect: { vector: [[DB, 33]] },
  },
  {
    name: "bytes_rate",
    query: 'bytes_rate({app="db"}[1m])',
    instant: 60,
    expect: { vector: [[DB, 0.55]] },
  },
  {
    name: "absent_over_time gives 1 where the selector has no entry, labelled by its equality matchers",
    query: 'absent_over_time({app="db"}[30s])',
    range: { start: 30, end: 90, step: 30 },
    expect: {
      matrix: {
        '{app="db"}': [
          [30, 1],
          [90, 1],
        ],
      },
    },
  },
  {
    name: "offset moves the window back",
    query: 'count_over_time({app="web"}[30s] offset 30s)',
    instant: 60,
    expect: { vector: [[WEB, 3]] },
  },
  {
    name: "count_over_time after a line filter",
    query: `count_over_time(${ALL} |= "GET" [1m])`,
    instant: 60,
    expect: { vector: [[WEB, 2]] },
  },

  // --- Vector aggregations ---
  {
    name: "sum by",
    query: `sum by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 5],
      ],
    },
  },
  {
    name: "sum without",
    query: `sum without (app) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 5],
      ],
    },
  },
  {
    name: "grouping after the expression",
    query: `sum(count_over_time(${ALL}[1m])) by (env)`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 1],
        ['{env="prod"}', 5],
      ],
    },
  },
  {
    name: "sum without grouping",
    query: `sum(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [["{}", 6]] },
  },
  { name: "avg", query: `avg(count_over_time(${ALL}[1m]))`, instant: 60, expect: { vector: [["{}", 2]] } },
  { name: "min", query: `min(count_over_time(${ALL}[1m]))`, instant: 60, expect: { vector: [["{}", 1]] } },
  { name: "max", query: `max(count_over_time(${ALL}[1m]))`, instant: 60, expect: { vector: [["{}", 3]] } },
  {
    name: "count",
    query: `count(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [["{}", 3]] },
  },
  {
    name: "stddev",
    query: `stddev(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [["{}", Math.sqrt(2 / 3)]] },
  },
  {
    name: "stdvar",
    query: `stdvar(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [["{}", 2 / 3]] },
  },
  {
    name: "topk",
    query: `topk(1, count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [[WEB, 3]] },
  },
  {
    name: "bottomk",
    query: `bottomk(1, count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [[DB, 1]] },
  },
  {
    name: "topk by group",
    query: `topk by (env) (1, count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [DB, 1],
        [WEB, 3],
      ],
    },
  },
  {
    name: "sort_desc orders an instant vector by value",
    query: `sort_desc(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [WEB, 3],
        [API, 2],
        [DB, 1],
      ],
    },
  },
  {
    name: "sort orders an instant vector by value ascending",
    query: `sort(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [DB, 1],
        [API, 2],
        [WEB, 3],
      ],
    },
  },

  // --- Unwrap range aggregations ---
  {
    name: "sum_over_time of duration()",
    query: 'sum_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 2.2]] },
  },
  {
    name: "avg_over_time",
    query: 'avg_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 2.2 / 3]] },
  },
  {
    name: "max_over_time",
    query: 'max_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 2]] },
  },
  {
    name: "min_over_time",
    query: 'min_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 0.05]] },
  },
  {
    name: "first_over_time",
    query: 'first_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 0.15]] },
  },
  {
    name: "last_over_time",
    query: 'last_over_time({app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 0.05]] },
  },
  {
    name: "quantile_over_time",
    query: 'quantile_over_time(0.5, {app="web"} | logfmt | unwrap duration(duration) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 0.15]] },
  },
  {
    name: "bytes() conversion",
    query: 'sum_over_time({app="web"} | logfmt | unwrap bytes(size) [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 3800]] },
  },
  {
    name: "rate with unwrap is the sum per second",
    query: 'rate({app="web"} | logfmt | unwrap status [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="web"}', 901 / 60]] },
  },
  {
    name: "the unwrapped label leaves the series labels",
    query: 'sum_over_time({app="web"} | logfmt | keep app, status | unwrap status [1m])',
    instant: 60,
    expect: { vector: [['{app="web"}', 901]] },
  },
  {
    name: "stddev_over_time and stdvar_over_time",
    query:
      'stddev_over_time({app="api"} | json | unwrap latency [1m]) by (app) + stdvar_over_time({app="api"} | json | unwrap latency [1m]) by (app)',
    instant: 60,
    expect: { vector: [['{app="api"}', 0.75]] },
  },
  {
    name: "a value unwrap cannot convert fails the query with a pipeline error",
    query: 'sum_over_time({app="api"} | json | unwrap latency [2m]) by (app)',
    instant: 120,
    expect: { error: "pipeline_error" },
  },
  {
    name: '| __error__="" after unwrap drops the lines it could not convert',
    query: 'sum_over_time({app="api"} | json | unwrap latency | __error__="" [2m]) by (app)',
    instant: 120,
    expect: { vector: [['{app="api"}', 2]] },
  },
  {
    name: "a parser error in a metric query fails it with a pipeline error",
    query: 'count_over_time({app="web"} | json [1m])',
    instant: 60,
    expect: { error: "pipeline_error" },
  },
  {
    name: '| __error__="" drops lines a parser failed on',
    query: 'count_over_time({app="web"} | json | __error__="" [1m])',
    instant: 60,
    expect: { vector: [] },
  },
  {
    name: "unwrap with an __error__ filter on a label some lines lack",
    query: 'sum by (app) (sum_over_time({env="prod"} | logfmt | unwrap status | __error__="" [1m]))',
    instant: 60,
    expect: { vector: [['{app="web"}', 901]] },
  },
  {
    name: "rate_counter handles the counter and extrapolates as Prometheus's rate",
    query: 'rate_counter({app="ctr"} | logfmt | unwrap c [30s])',
    streams: COUNTER,
    instant: 40,
    expect: { vector: [['{app="ctr"}', 0.2]] },
  },

  // --- Binary operators, label_replace, vector() ---
  { name: "health check", query: "vector(1)+vector(1)", instant: 60, expect: { vector: [["{}", 2]] } },
  {
    name: "health check over a range",
    query: "vector(1)+vector(1)",
    range: { start: 0, end: 20, step: 10 },
    expect: {
      matrix: {
        "{}": [
          [0, 2],
          [10, 2],
          [20, 2],
        ],
      },
    },
  },
  { name: "literal arithmetic", query: "1 + 2 * 3", instant: 60, expect: { scalar: 7 } },
  { name: "power is right-associative", query: "2 ^ 3 ^ 2", instant: 60, expect: { scalar: 512 } },
  { name: "division by zero gives NaN", query: "1 / 0", instant: 60, expect: { scalar: Number.NaN } },
  { name: "modulo by zero gives NaN", query: "5 % 0", instant: 60, expect: { scalar: Number.NaN } },
  { name: "literal comparison gives 0 or 1", query: "2 > 1", instant: 60, expect: { scalar: 1 } },
  {
    name: "vector divided by zero gives NaN (LogQL, unlike PromQL's Inf)",
    query: 'count_over_time({app="web"}[1m]) / 0',
    instant: 60,
    expect: { vector: [[WEB, Number.NaN]] },
  },
  {
    name: "scalar-vector comparison keeps the vector's value",
    query: `1 < count_over_time(${ALL}[1m])`,
    instant: 60,
    expect: {
      vector: [
        [API, 2],
        [WEB, 3],
      ],
    },
  },
  {
    name: "vector times literal",
    query: 'count_over_time({app="web"}[1m]) * 2',
    instant: 60,
    expect: { vector: [[WEB, 6]] },
  },
  {
    name: "ratio of two aggregations",
    query: `sum(count_over_time({env="prod"}[1m])) / sum(count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: { vector: [["{}", 5 / 6]] },
  },
  {
    name: "comparison filters",
    query: `count_over_time(${ALL}[1m]) > 1`,
    instant: 60,
    expect: {
      vector: [
        [API, 2],
        [WEB, 3],
      ],
    },
  },
  {
    name: "comparison with bool",
    query: `count_over_time(${ALL}[1m]) > bool 1`,
    instant: 60,
    expect: {
      vector: [
        [API, 1],
        [DB, 0],
        [WEB, 1],
      ],
    },
  },
  {
    name: "one-to-one matching with on()",
    query: `sum by (env) (count_over_time(${ALL}[1m])) - on (env) count by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        ['{env="dev"}', 0],
        ['{env="prod"}', 3],
      ],
    },
  },
  {
    name: "many-to-one matching with group_left",
    query: `count_over_time(${ALL}[1m]) / on (env) group_left sum by (env) (count_over_time(${ALL}[1m]))`,
    instant: 60,
    expect: {
      vector: [
        [API, 0.4],
        [DB, 1],
        [WEB, 0.6],
      ],
    },
  },
  {
    name: "many-to-many needs group_left",
    query: `count_over_time(${ALL}[1m]) / ignoring (app) count_over_time(${ALL}[1m])`,
    instant: 60,
    expect: { error: "matching_error" },
  },
  {
    name: "and",
    query: `count_over_time(${ALL}[1m]) and count_over_time({app="web"}[1m])`,
    instant: 60,
    expect: { vector: [[WEB, 3]] },
  },
  {
    name: "or",
    query: 'count_over_time({app="web"}[1m]) or count_over_time({app="db"}[1m])',
    instant: 60,
    expect: {
      vector: [
        [DB, 1],
        [WEB, 3],
      ],
    },
  },
  {
    name: "unless",
    query: `count_over_time(${ALL}[1m]) unless count_over_time({env="prod"}[1m])`,
    instant: 60,
    expect: { vector: [[DB, 1]] },
  },
  {
    name: "label_replace",
    query: 'label_replace(count_over_time({app="web"}[1m]), "svc", "$1-x", "app", "(w.*)")',
    instant: 60,
    expect: { vector: [['{app="web", env="prod", svc="web-x"}', 3]] },
  },
  {
    name: "label_replace leaves series the regex does not match",
    query: 'label_replace(count_over_time({app="db"}[1m]), "svc", "$1", "app", "(w.*)")',
    instant: 60,
    expect: { vector: [[DB, 1]] },
  },
];

/** Every case: the core ones, then the log and metric cases by feature. */
export const LOGQL_CASES: readonly LogQLCase[] = [...CORE_CASES, ...LOG_QUERY_CASES, ...METRIC_QUERY_CASES];
