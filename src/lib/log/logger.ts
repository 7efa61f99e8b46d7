/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** Structured fields attached to a log line. Errors are rendered with their message. */
export type LogFields = Record<string, unknown>;

/** Where lines go and how they look. */
export interface LogSink {
  write(line: string): void;
  /** Human-readable, coloured lines instead of JSON (a terminal). */
  readonly pretty: boolean;
}

/**
 * A structured logger: one JSON object per line (`{"ts":…,"level":…,"msg":…,…fields}`), or a
 * readable coloured line when writing to a terminal. `child()` adds fields to every line, e.g. the
 * role or the tenant.
 */
export class Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly minLevel: LogLevel = "info",
    private readonly fields: LogFields = {},
  ) {}

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger(this.sink, this.minLevel, { ...this.fields, ...fields });
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.minLevel];
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const all: LogFields = fields ? { ...this.fields, ...fields } : this.fields;
    const ts = new Date().toISOString();
    if (this.sink.pretty) {
      const extra = Object.entries(all)
        .map(([k, v]) => `\x1b[90m${k}=\x1b[0m${renderPretty(v)}`)
        .join(" ");
      this.sink.write(
        `\x1b[90m${ts.slice(11, 23)}\x1b[0m ${COLORS[level]}${level.toUpperCase().padEnd(5)}\x1b[0m ${msg} ${extra}\n`,
      );
    } else {
      this.sink.write(`${JSON.stringify({ ts, level, msg, ...renderFields(all) })}\n`);
    }
  }
}

function renderFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? v.message : v;
  return out;
}

function renderPretty(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === "string") return /^[\w./:@-]*$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** A logger to stderr: pretty when stderr is a terminal (or `MIRADOR_LOG_FORMAT=pretty`), JSON otherwise. */
export function stderrLogger(level: LogLevel = "info"): Logger {
  const format = process.env.MIRADOR_LOG_FORMAT;
  const pretty = format === "pretty" || (format !== "json" && process.stderr.isTTY === true);
  return new Logger({ pretty, write: (line) => process.stderr.write(line) }, level);
}

/** A logger that drops everything (tests). */
export const nopLogger = new Logger({ pretty: false, write: () => {} }, "error");
