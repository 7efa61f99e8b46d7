/**
 * LogQL log-query cases, one group per feature of Loki's log query documentation (stream selectors,
 * line filters, parsers, label filters, line_format and label_format with the template functions,
 * drop/keep, decolorize, pipeline errors). `cases.ts` adds them to `LOGQL_CASES`, which
 * `engine.test.ts` runs.
 */
import {
  A15,
  A25,
  A65,
  ALL,
  API,
  COLOR,
  D40,
  DB,
  FWD,
  G20,
  G30,
  K10,
  K20,
  KV,
  type LogQLCase,
  N10,
  N20,
  N30,
  NET,
  NET_L,
  NGINX,
  NUMS,
  PACKED,
  S10,
  S20,
  S30,
  SHOP,
  SHOP_L,
  W10,
  W20,
  W30,
  W70,
  WEB,
} from "./corpus.js";

/** Log query cases by feature. */
export const LOG_QUERY_CASES: readonly LogQLCase[] = [
  // --- Stream selectors: =, !=, =~, !~ (regexps fully anchored) ---
  {
    name: "selector != keeps streams whose label differs",
    query: '{env=~".+", app!="web"}',
    log: FWD,
    expect: {
      streams: {
        [API]: [
          [15, A15],
          [25, A25],
          [65, A65],
        ],
        [DB]: [[40, D40]],
      },
    },
  },
  {
    name: "selector !~ drops streams the regexp matches",
    query: '{env=~".+", app!~"w.+|a.+"}',
    log: FWD,
    expect: { streams: { [DB]: [[40, D40]] } },
  },
  {
    name: "selector =~ is fully anchored",
    query: '{app=~"we"}',
    log: FWD,
    expect: { streams: {} },
  },
  {
    name: "selector with several matchers",
    query: '{env="prod", app!="api"}',
    log: { ...FWD, start: 15, end: 30 },
    expect: { streams: { [WEB]: [[20, W20]] } },
  },

  // --- Line filters: !~, (?i), or, chains, |> and !> patterns ---
  {
    name: "line filter !~ drops lines the regexp matches",
    query: '{env="prod"} !~ "GET|error"',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [[30, W30]],
        [API]: [
          [15, A15],
          [65, A65],
        ],
      },
    },
  },
  {
    name: "line filter regexp with (?i) is case-insensitive",
    query: `${ALL} |~ "(?i)ERROR"`,
    log: FWD,
    expect: { streams: { [WEB]: [[20, W20]], [API]: [[25, A25]] } },
  },
  {
    name: "|= with or keeps lines containing any of the strings",
    query: `${ALL} |= "POST" or "trace"`,
    log: FWD,
    expect: { streams: { [WEB]: [[30, W30]], [DB]: [[40, D40]] } },
  },
  {
    name: "!= with or keeps lines containing none of the strings",
    query: `${ALL} != "GET" or "level"`,
    log: FWD,
    expect: { streams: { [DB]: [[40, D40]] } },
  },
  {
    name: "|~ with or keeps lines matching any regexp",
    query: `${ALL} |~ "slow" or "^plain"`,
    log: FWD,
    expect: { streams: { [WEB]: [[70, W70]], [DB]: [[40, D40]] } },
  },
  {
    name: "chained line filters must all pass",
    query: '{app="web"} |= "GET" != "api" |~ "s[a-z]+w"',
    log: FWD,
    expect: { streams: { [WEB]: [[70, W70]] } },
  },
  {
    name: "a backtick string needs no escaping in a regexp",
    query: '{app="web"} |~ `status=5\\d\\d`',
    log: FWD,
    expect: { streams: { [WEB]: [[20, W20]] } },
  },
  {
    name: "|> keeps lines matching a pattern",
    query: '{app="web"} |> "<_> status=500 <_>"',
    log: FWD,
    expect: { streams: { [WEB]: [[20, W20]] } },
  },
  {
    name: "!> drops lines matching a pattern",
    query: '{app="web"} !> "<_> status=200 <_>"',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [
          [20, W20],
          [30, W30],
        ],
      },
    },
  },

  {
    name: "a pattern line filter does not match where a capture would be empty",
    query: '{app="kv"} |> "level=<_> <_>=<_>"',
    streams: KV,
    log: FWD,
    expect: { streams: { '{app="kv"}': [[10, K10]] } },
  },
  {
    name: "a pattern line filter ending with a literal needs the line to end there",
    query: '{app="web"} |> "<_> size=<_>KB" or "<_>status=201<_>"',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [30, W30],
        ],
      },
    },
  },

  // --- ip() line filters ---
  {
    name: "|= ip() keeps lines holding an address in the CIDR range",
    query: `${NET_L} |= ip("192.168.1.0/24")`,
    streams: NET,
    log: FWD,
    expect: { streams: { [NET_L]: [[10, N10]] } },
  },
  {
    name: "!= ip() drops lines holding an address in the range",
    query: `${NET_L} != ip("192.168.1.0/24")`,
    streams: NET,
    log: FWD,
    expect: {
      streams: {
        [NET_L]: [
          [20, N20],
          [30, N30],
        ],
      },
    },
  },
  {
    name: "ip() line filter with a single IPv4 address or an IPv6 range",
    query: `${NET_L} |= ip("10.0.0.5") or ip("2001:db8::/32")`,
    streams: NET,
    log: FWD,
    expect: {
      streams: {
        [NET_L]: [
          [20, N20],
          [30, N30],
        ],
      },
    },
  },

  // --- json parser ---
  {
    name: "json flattens nested keys with _, skips arrays, sanitises names, suffixes stream labels with _extracted",
    query: '{app="shop"} |= "GET" | json',
    streams: SHOP,
    log: FWD,
    expect: {
      streams: {
        '{app="shop", level="debug", level_extracted="info", request_headers_User_Agent="curl/8", request_method="GET", status="200"}':
          [[10, S10]],
      },
    },
  },
  {
    name: "json with parameters: array index, quoted key, an array as JSON, a bare name",
    query:
      '{app="shop"} |= "GET" | json first="servers[0]", ua="request.headers[\\"User-Agent\\"]", list="servers", level | keep first, ua, list, level, level_extracted',
    streams: SHOP,
    log: FWD,
    expect: {
      streams: {
        '{first="10.0.0.1", level="debug", level_extracted="info", list="[\\"10.0.0.1\\",\\"10.0.0.2\\"]", ua="curl/8"}':
          [[10, S10]],
      },
    },
  },
  {
    name: "json parameters keep numbers, objects and arrays as written; null gives no label",
    query:
      '{app="nums"} | json id, ratio, obj, inner="obj.a[1]", t, nul | keep id, ratio, obj, inner, t, nul',
    streams: [{ labels: { app: "nums" }, entries: [[10, NUMS]] }],
    log: FWD,
    expect: {
      streams: {
        '{id="12345678901234567890", inner="2", obj="{\\"a\\": [1, 2]}", ratio="1.50", t="true"}': [
          [10, NUMS],
        ],
      },
    },
  },
  {
    name: 'json | __error__="" drops the lines that are not JSON',
    query: '{app="shop"} | json | __error__="" | keep request_method, status',
    streams: SHOP,
    log: FWD,
    expect: {
      streams: {
        '{request_method="GET", status="200"}': [[10, S10]],
        '{request_method="POST", status="503"}': [[20, S20]],
      },
    },
  },
  {
    name: "a json failure sets __error__=JSONParserErr and keeps the line",
    query: '{app="shop"} | json | __error__!="" | drop __error_details__',
    streams: SHOP,
    log: FWD,
    expect: { streams: { '{__error__="JSONParserErr", app="shop", level="debug"}': [[30, S30]] } },
  },
  {
    name: "a json failure sets __error_details__; drop removes both error labels",
    query: '{app="shop"} | json | __error_details__!="" | drop __error__, __error_details__',
    streams: SHOP,
    log: FWD,
    expect: { streams: { [SHOP_L]: [[30, S30]] } },
  },
  {
    name: "keep does not drop __error__",
    query: '{app="shop"} | json | keep app | drop __error_details__',
    streams: SHOP,
    log: FWD,
    expect: {
      streams: {
        '{app="shop"}': [
          [10, S10],
          [20, S20],
        ],
        '{__error__="JSONParserErr", app="shop"}': [[30, S30]],
      },
    },
  },

  // --- logfmt parser ---
  {
    name: "logfmt with parameters extracts (and renames) only those fields",
    query: '{app="web"} |= "POST" | logfmt lvl="level", status',
    log: FWD,
    expect: { streams: { '{app="web", env="prod", lvl="info", status="201"}': [[30, W30]] } },
  },
  {
    name: "logfmt skips a malformed pair and drops standalone keys",
    query: '{app="kv"} | logfmt',
    streams: KV,
    log: FWD,
    expect: {
      streams: {
        '{a="1", app="kv", b="x y", level="info"}': [[10, K10]],
        '{app="kv", c="3", level="warn"}': [[20, K20]],
      },
    },
  },
  {
    name: "logfmt --strict stops at a malformed pair with __error__=LogfmtParserErr",
    query: '{app="kv"} | logfmt --strict | drop __error_details__',
    streams: KV,
    log: FWD,
    expect: {
      streams: {
        '{a="1", app="kv", b="x y", level="info"}': [[10, K10]],
        '{__error__="LogfmtParserErr", app="kv", level="warn"}': [[20, K20]],
      },
    },
  },
  {
    name: "logfmt without --keep-empty leaves a standalone key alone",
    query: '{app="kv"} |= "flag" | label_format flag="set" | logfmt',
    streams: KV,
    log: FWD,
    expect: { streams: { '{a="1", app="kv", b="x y", flag="set", level="info"}': [[10, K10]] } },
  },
  {
    name: "logfmt --keep-empty sets a standalone key to the empty value (which a label set drops)",
    query: '{app="kv"} |= "flag" | label_format flag="set" | logfmt --keep-empty',
    streams: KV,
    log: FWD,
    expect: { streams: { '{a="1", app="kv", b="x y", level="info"}': [[10, K10]] } },
  },

  {
    name: "logfmt with parameters sets each requested label, empty when the line lacks it or leaves it empty",
    query: '{app="kv"} | label_format c="set", flag="set" | logfmt c, flag',
    streams: KV,
    log: FWD,
    expect: { streams: { '{app="kv"}': [[10, K10]], '{app="kv", c="3"}': [[20, K20]] } },
  },

  // --- regexp, pattern and unpack parsers ---
  {
    name: "regexp parser: named groups become labels",
    query: '{app="web"} | regexp "(?P<method>[A-Z]+) (?P<path>/[a-z]*)" | path="/api" | keep method',
    log: FWD,
    expect: { streams: { '{method="GET"}': [[20, W20]], '{method="POST"}': [[30, W30]] } },
  },
  {
    name: "regexp parser: a group that took no part in the match sets its label empty",
    query:
      '{app="web"} |= "POST" | label_format m="set", p="set" | regexp "(?P<m>GET)|(?P<p>POST)" | keep m, p',
    log: FWD,
    expect: { streams: { '{p="POST"}': [[30, W30]] } },
  },
  {
    name: "pattern parser: named captures become labels, <_> skips",
    query:
      '{app="nginx"} | pattern `<ip> - - [<_>] "<method> <uri> <_>" <status> <size>` | status >= 400 | keep ip, method, uri',
    streams: NGINX,
    log: FWD,
    expect: { streams: { '{ip="10.1.2.4", method="POST", uri="/login"}': [[20, G20]] } },
  },
  {
    name: "pattern parser: a capture whose next literal is missing takes the rest of the line, and parsing stops",
    query: '{app="nginx"} |= "BAD" | pattern `<ip> - - [<_>] "<method> <uri> <_>" <status> <size>`',
    streams: NGINX,
    log: FWD,
    expect: { streams: { '{app="nginx", ip="10.1.2.5", method="BADREQUEST\\""}': [[30, G30]] } },
  },
  {
    name: "unpack: keys become labels (stream labels suffixed), _entry replaces the line",
    query: '{app="packed"} | unpack',
    streams: PACKED,
    log: FWD,
    expect: {
      streams: {
        '{app="packed", container="c1", pod="p1"}': [[10, "original line"]],
        '{app="packed", app_extracted="inner"}': [[20, "second"]],
      },
    },
  },

  // --- Label filters: bytes, ip(), and/or/comma, precedence, conversion errors ---
  {
    name: "bytes label filter (KB is 1000 bytes)",
    query: '{app="web"} | logfmt | size > 1KB | keep app, size',
    log: FWD,
    expect: { streams: { '{app="web", size="1.5KB"}': [[10, W10]], '{app="web", size="2KB"}': [[30, W30]] } },
  },
  {
    name: "bytes label filter with a binary unit",
    query: '{app="web"} | logfmt | size <= 1KiB | keep app, size',
    log: FWD,
    expect: { streams: { '{app="web", size="300B"}': [[20, W20]], '{app="web", size="10B"}': [[70, W70]] } },
  },
  {
    name: "ip() label filter with a CIDR range",
    query: `${NET_L} | logfmt | addr = ip("10.0.0.0/8")`,
    streams: NET,
    log: FWD,
    expect: { streams: { '{addr="10.0.0.5", app="net", op="GET"}': [[20, N20]] } },
  },
  {
    name: "ip() label filter != with an address range",
    query: `${NET_L} | logfmt | addr != ip("192.168.1.5-192.168.1.20") | keep op`,
    streams: NET,
    log: FWD,
    expect: { streams: { '{op="GET"}': [[20, N20]], '{op="POST"}': [[30, N30]] } },
  },
  {
    name: "and binds tighter than or in a label filter",
    query: '{app="web"} | logfmt | duration >= 1s or level="info" and status == 201 | keep app',
    log: FWD,
    expect: {
      streams: {
        '{app="web"}': [
          [20, W20],
          [30, W30],
          [70, W70],
        ],
      },
    },
  },
  {
    name: "a pipe starts a new label filter stage",
    query: '{app="web"} | logfmt | duration >= 1s or level="info" | status == 201 | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[30, W30]] } },
  },
  {
    name: "comma is and; parentheses group",
    query: '{app="web"} | logfmt | (status == 200 or status == 500), level != "warn" | keep app',
    log: FWD,
    expect: {
      streams: {
        '{app="web"}': [
          [10, W10],
          [20, W20],
        ],
      },
    },
  },
  {
    name: "a numeric filter on a value it cannot convert keeps the line with __error__=LabelFilterErr",
    query: '{app="api"} | json | latency > 1 | drop __error_details__ | keep path',
    log: FWD,
    expect: {
      streams: { '{path="/b"}': [[25, A25]], '{__error__="LabelFilterErr", path="/c"}': [[65, A65]] },
    },
  },

  // --- line_format and the template functions ---
  {
    name: "line_format with ToUpper, ToLower and printf",
    query:
      '{app="web"} |= "POST" | logfmt | line_format "{{.level | ToUpper}} {{ .msg | ToLower }} {{ printf \\"%-6s|\\" .status }}" | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[30, "INFO post /api 201   |"]] } },
  },
  {
    name: "line_format with replace, trimSuffix, regexReplaceAll, default and TrimPrefix",
    query:
      '{app="web"} |= "error" | logfmt | line_format `{{ replace "/" "_" .msg }} {{ .size | trimSuffix "B" }} {{ regexReplaceAll "[0-9]+" .duration "N" }} {{ .missing | default "none" }} {{ TrimPrefix .level "er" }}` | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[20, "GET _api 300 Ns none ror"]] } },
  },
  {
    name: "line_format with __timestamp__, unixEpoch, date, __line__ and trunc",
    query:
      '{app="db"} | line_format `{{ __timestamp__ | unixEpoch }} {{ date "2006-01-02 15:04:05" __timestamp__ }} {{ __line__ | trunc 10 }}`',
    log: FWD,
    expect: { streams: { [DB]: [[40, "40 1970-01-01 00:00:40 plain text"]] } },
  },
  {
    name: "line_format with the integer and float math functions",
    query:
      '{app="web"} |= "POST" | logfmt | line_format "{{ div .status 100 }}xx {{ add .status 1 }} {{ mul 2 3 }} {{ sub .status 200 }} {{ mod .status 7 }} {{ divf .status 8 }}" | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[30, "2xx 202 6 1 5 25.125"]] } },
  },
  {
    name: "line_format with toDate, urlencode and b64enc",
    query:
      '{app="db"} | line_format `{{ toDate "2006-01-02" "2024-03-05" | unixEpoch }} {{ "a b&c" | urlencode }} {{ "hi" | b64enc }}`',
    log: FWD,
    expect: { streams: { [DB]: [[40, "1709596800 a+b%26c aGk="]] } },
  },
  {
    name: "line_format with if/else on a label",
    query: `{app="web"} | logfmt | line_format \`{{ if eq .level "error" }}E{{ else }}-{{ end }}{{ .status }}\` | keep app`,
    log: FWD,
    expect: {
      streams: {
        '{app="web"}': [
          [10, "-200"],
          [20, "E500"],
          [30, "-201"],
          [70, "-200"],
        ],
      },
    },
  },

  {
    name: "line_format string functions: title, substr, alignLeft/Right, repeat, trim, trimAll, upper, lower",
    query:
      '{app="web"} |= "GET /\\"" | logfmt | line_format `{{ title "hello world" }}|{{ substr 0 3 .level }}|{{ alignLeft 6 .level }}|{{ alignRight 6 .level }}|{{ repeat 2 "ab" }}|{{ trim "  x  " }}|{{ trimAll "/" .msg }}|{{ .level | upper }}|{{ lower "ABC" }}` | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[10, "Hello World|inf|info  |  info|abab|x|GET |INFO|abc"]] } },
  },
  {
    name: "line_format logical functions: and, contains, hasSuffix, else if",
    query:
      '{app="web"} | logfmt | line_format `{{ if and (contains "GET" .msg) (hasSuffix "KB" .size) }}big-get{{ else if hasPrefix "POST" .msg }}post{{ else }}other{{ end }}` | keep app',
    log: FWD,
    expect: {
      streams: {
        '{app="web"}': [
          [10, "big-get"],
          [20, "other"],
          [30, "post"],
          [70, "other"],
        ],
      },
    },
  },
  {
    name: "line_format float and conversion functions",
    query:
      '{app="web"} |= "POST" | logfmt | line_format `{{ addf 1.5 .status }} {{ subf 5.5 2 1.5 }} {{ mulf 5.5 2 }} {{ maxf 1 2.5 }} {{ minf 1 2.5 }} {{ max 1 .status 3 }} {{ min 4 2 }} {{ ceil 1.2 }} {{ floor 1.8 }} {{ round 2.346 2 }} {{ "3" | int }} {{ "3.5" | float64 }}` | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[30, "202.5 2 11 2.5 1 201 2 2 1 2.35 3 3.5"]] } },
  },
  {
    name: "line_format duration, bytes, count, regexReplaceAllLiteral and printf precision",
    query:
      '{app="web"} |= "GET /\\"" | logfmt | line_format `{{ .duration | duration }} {{ .size | bytes }} {{ __line__ | count "=" }} {{ regexReplaceAllLiteral "(GET)" .msg "$1x" }} {{ printf "%-3.3s|" .msg }}` | keep app',
    log: FWD,
    expect: { streams: { '{app="web"}': [[10, "0.15 1500 5 $1x / GET|"]] } },
  },
  {
    name: "line_format time functions: unixEpochMillis/Nanos, unixToTime, toDateInZone",
    query:
      '{app="db"} | line_format `{{ unixEpochMillis __timestamp__ }} {{ unixEpochNanos __timestamp__ }} {{ date "2006-01-02" (unixToTime "1709596800") }} {{ toDateInZone "2006-01-02 15:04" "UTC" "2024-03-05 10:30" | unixEpoch }}`',
    log: FWD,
    expect: { streams: { [DB]: [[40, "40000 40000000000 2024-03-05 1709634600"]] } },
  },
  {
    name: "line_format fromJson, b64dec, urldecode, indent and nindent",
    query:
      '{app="api"} |= "/a" | line_format `{{ (fromJson __line__).path }} {{ "aGk=" | b64dec }} {{ "a%20b" | urldecode }}{{ nindent 2 "x" }}{{ indent 1 "y\\nz" }}`',
    log: FWD,
    expect: { streams: { [API]: [[15, "/a hi a b\n  x y\n z"]] } },
  },
  {
    name: "a template that fails sets __error__=TemplateFormatErr and keeps the line",
    query: '{app="db"} | line_format "{{ div 1 0 }}" | drop __error_details__',
    log: FWD,
    expect: { streams: { '{__error__="TemplateFormatErr", app="db", env="dev"}': [[40, D40]] } },
  },

  // --- label_format ---
  {
    name: "label_format dst=src renames (the source label goes)",
    query: '{app="web"} |= "POST" | logfmt | label_format lvl=level | keep app, lvl, level',
    log: FWD,
    expect: { streams: { '{app="web", lvl="info"}': [[30, W30]] } },
  },
  {
    name: "label_format with a template keeps the labels it reads",
    query:
      '{app="web"} |= "POST" | logfmt | label_format code="{{.status}}-{{ .level | ToUpper }}" | keep code, status',
    log: FWD,
    expect: { streams: { '{code="201-INFO", status="201"}': [[30, W30]] } },
  },
  {
    name: "label_format can overwrite a stream label",
    query: '{app="db"} | label_format app="{{.app}}-{{.env}}"',
    log: FWD,
    expect: { streams: { '{app="db-dev", env="dev"}': [[40, D40]] } },
  },
  {
    name: "label_format applies in order: a template sees the renames before it",
    query: '{app="db"} | label_format svc=app, desc="{{.svc}}/{{.app}}"',
    log: FWD,
    expect: { streams: { '{desc="db/", env="dev", svc="db"}': [[40, D40]] } },
  },
  {
    name: "label_format renaming from an absent label changes nothing",
    query: '{app="db"} | label_format env=nothere',
    log: FWD,
    expect: { streams: { [DB]: [[40, D40]] } },
  },

  // --- drop, keep, decolorize ---
  {
    name: "drop with names and a value condition",
    query: '{app="web"} | logfmt | drop msg, size, duration, level="info"',
    log: FWD,
    expect: {
      streams: {
        '{app="web", env="prod", status="200"}': [[10, W10]],
        '{app="web", env="prod", level="error", status="500"}': [[20, W20]],
        '{app="web", env="prod", status="201"}': [[30, W30]],
        '{app="web", env="prod", level="warn", status="200"}': [[70, W70]],
      },
    },
  },
  {
    name: "drop with a regexp condition",
    query: '{app="web"} | logfmt | drop msg, size, duration, status, level=~"info|warn"',
    log: FWD,
    expect: {
      streams: {
        [WEB]: [
          [10, W10],
          [30, W30],
          [70, W70],
        ],
        '{app="web", env="prod", level="error"}': [[20, W20]],
      },
    },
  },
  {
    name: "keep with a value condition keeps that label only where it matches",
    query: '{app="web"} | logfmt | keep app, level="error"',
    log: FWD,
    expect: {
      streams: {
        '{app="web"}': [
          [10, W10],
          [30, W30],
          [70, W70],
        ],
        '{app="web", level="error"}': [[20, W20]],
      },
    },
  },
  {
    name: "decolorize strips ANSI colour codes before later filters",
    query: '{app="color"} | decolorize |= "ERROR disk full"',
    streams: COLOR,
    log: FWD,
    expect: { streams: { '{app="color"}': [[10, "ERROR disk full"]] } },
  },
];
