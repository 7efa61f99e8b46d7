/**
 * The inputs of the LogQL cases: the case types, the default corpus and the smaller stream sets some
 * cases use, with their lines as constants so expectations can name them. Data only.
 */

/** One input stream: labels and `[seconds, line]` entries in time order. */
export interface CaseStream {
  readonly labels: Readonly<Record<string, string>>;
  readonly entries: readonly (readonly [number, string])[];
}

/** What a case expects. Labels are written as `Labels.toString()` prints them: `{a="1", b="2"}`. */
export type CaseExpectation =
  /** Log query: entries per stream (stream order free, entry order as the direction says). */
  | { readonly streams: Readonly<Record<string, readonly (readonly [number, string])[]>> }
  /** Range metric query: points per series. */
  | { readonly matrix: Readonly<Record<string, readonly (readonly [number, number])[]>> }
  /** Instant metric query: samples in result order. */
  | { readonly vector: readonly (readonly [string, number])[] }
  /** Instant query of a scalar expression. */
  | { readonly scalar: number }
  /** The evaluation fails with this `LogQLEvalError` code. */
  | { readonly error: string };

/** One case. Exactly one of `log`, `range`, `instant` says how the query runs. */
export interface LogQLCase {
  readonly name: string;
  readonly query: string;
  /** Input streams; {@link CORPUS} when absent. */
  readonly streams?: readonly CaseStream[];
  readonly log?: {
    readonly start: number;
    readonly end: number;
    readonly direction: "forward" | "backward";
    readonly limit: number;
  };
  readonly range?: { readonly start: number; readonly end: number; readonly step: number };
  /** Evaluation time of an instant query, seconds. */
  readonly instant?: number;
  readonly expect: CaseExpectation;
}

/** The corpus's stream labels as `Labels.toString()` prints them. */
export const WEB = '{app="web", env="prod"}';
export const API = '{app="api", env="prod"}';
export const DB = '{app="db", env="dev"}';

/** The corpus's lines, named by stream (Web, Api, Db) and timestamp in seconds. */
export const W10 = 'level=info msg="GET /" status=200 duration=150ms size=1.5KB';
export const W20 = 'level=error msg="GET /api" status=500 duration=2s size=300B';
export const W30 = 'level=info msg="POST /api" status=201 duration=50ms size=2KB';
export const W70 = 'level=warn msg="GET /slow" status=200 duration=3.5s size=10B';
export const A15 = '{"level":"info","latency":0.5,"path":"/a"}';
export const A25 = '{"level":"error","latency":1.5,"path":"/b"}';
export const A65 = '{"level":"info","latency":"oops","path":"/c"}';
export const D40 = "plain text line with trace_id=abc";

/** The default input: logfmt access logs, JSON logs and a plain-text line in three streams. */
export const CORPUS: readonly CaseStream[] = [
  {
    labels: { app: "web", env: "prod" },
    entries: [
      [10, W10],
      [20, W20],
      [30, W30],
      [70, W70],
    ],
  },
  {
    labels: { app: "api", env: "prod" },
    entries: [
      [15, A15],
      [25, A25],
      [65, A65],
    ],
  },
  { labels: { app: "db", env: "dev" }, entries: [[40, D40]] },
];

/** A counter in logfmt, for `rate_counter`. */
export const COUNTER: readonly CaseStream[] = [
  {
    labels: { app: "ctr" },
    entries: [
      [10, "c=1"],
      [20, "c=3"],
      [30, "c=5"],
      [40, "c=7"],
    ],
  },
];

/** JSON lines with nested objects and an array; `level` is also a stream label. */
export const S10 =
  '{"level":"info","servers":["10.0.0.1","10.0.0.2"],"request":{"method":"GET","headers":{"User-Agent":"curl/8"}},"status":200}';
export const S20 = '{"level":"error","request":{"method":"POST"},"status":503}';
export const S30 = "not json";
export const SHOP_L = '{app="shop", level="debug"}';
export const SHOP: readonly CaseStream[] = [
  {
    labels: { app: "shop", level: "debug" },
    entries: [
      [10, S10],
      [20, S20],
      [30, S30],
    ],
  },
];

/** A JSON line whose numbers and nested values must keep their text. */
export const NUMS = '{"id":12345678901234567890,"ratio":1.50,"obj":{"a": [1, 2]},"nul":null,"t":true}';

/** logfmt lines: a standalone key, a quoted value, and a pair without a key. */
export const K10 = 'level=info a=1 flag b="x y"';
export const K20 = "level=warn =oops c=3";
export const KV: readonly CaseStream[] = [
  {
    labels: { app: "kv" },
    entries: [
      [10, K10],
      [20, K20],
    ],
  },
];

/** Lines holding IPv4 and IPv6 addresses, in logfmt. */
export const N10 = "addr=192.168.1.10 op=GET";
export const N20 = "addr=10.0.0.5 op=GET";
export const N30 = "addr=2001:db8::1 op=POST";
export const NET_L = '{app="net"}';
export const NET: readonly CaseStream[] = [
  {
    labels: { app: "net" },
    entries: [
      [10, N10],
      [20, N20],
      [30, N30],
    ],
  },
];

/** Access-log lines for the pattern parser. */
export const G10 = '10.1.2.3 - - [21/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512';
export const G20 = '10.1.2.4 - - [21/Nov/2026:10:00:05 +0000] "POST /login HTTP/1.1" 401 64';
export const G30 = '10.1.2.5 - - [21/Nov/2026:10:00:09 +0000] "BADREQUEST"';
export const NGINX: readonly CaseStream[] = [
  {
    labels: { app: "nginx" },
    entries: [
      [10, G10],
      [20, G20],
      [30, G30],
    ],
  },
];

/** Lines packed by Promtail's `pack` stage (the original line under `_entry`). */
export const P10 = '{"container":"c1","pod":"p1","_entry":"original line"}';
export const P20 = '{"app":"inner","_entry":"second"}';
export const PACKED: readonly CaseStream[] = [
  {
    labels: { app: "packed" },
    entries: [
      [10, P10],
      [20, P20],
    ],
  },
];

/** A line with ANSI colour codes. */
export const COLOR: readonly CaseStream[] = [
  { labels: { app: "color" }, entries: [[10, "\x1b[31mERROR\x1b[0m disk \x1b[1;33mfull\x1b[0m"]] },
];

/** A forward log query over the whole corpus. */
export const FWD = { start: 0, end: 100, direction: "forward", limit: 100 } as const;
/** A selector of every corpus stream. */
export const ALL = '{env=~".+"}';
