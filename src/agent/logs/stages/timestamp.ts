/**
 * The `timestamp` stage: sets the entry's time from an extracted value. `format` and then each of
 * `fallback_formats` are tried in order. When none parses, `action_on_failure: fudge` (the default)
 * sets the time to the last good time of the same stream plus one nanosecond (keeping the stream's
 * order; unchanged when the stream has none yet), and `skip` leaves the time as it was. An absent
 * source value changes nothing.
 */
import type { ConfigReader } from "./config.js";
import { StreamKeys, valueToString } from "./entry.js";
import { mapStage, type Sink, type StageEnv } from "./sink.js";
import { compileLocation, compileTimeFormat, type TimeParser, type ZoneOf } from "./time-formats.js";

/** Streams whose last good time the `fudge` action remembers; the oldest are forgotten beyond this. */
export const MAX_FUDGE_STREAMS = 10_000;

/** Compiles a `timestamp` stage. */
export function timestampStage(r: ConfigReader, next: Sink, _env: StageEnv): Sink {
  const source = r.string("source", "the extracted name holding the time");
  const format = r.string("format", "RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs, UnixNs or a Go layout");
  const fallbacks = r.optStringList("fallback_formats") ?? [];
  const location = r.optString("location");
  const action = r.optString("action_on_failure") ?? "fudge";
  r.done();
  if (action !== "fudge" && action !== "skip") {
    throw r.error("action_on_failure", `must be fudge or skip, found ${JSON.stringify(action)}`);
  }
  let zone: ZoneOf | undefined;
  if (location !== undefined && location !== "") {
    zone = compileLocation(location);
    if (zone === undefined) {
      throw r.error(
        "location",
        `unknown location ${JSON.stringify(location)}: use UTC, an offset such as +02:00, or an IANA zone such as Europe/Paris`,
      );
    }
  }
  const parsers: TimeParser[] = [];
  const compile = (f: string, field: string) => {
    try {
      parsers.push(compileTimeFormat(f, zone));
    } catch (err) {
      throw r.error(field, (err as Error).message);
    }
  };
  compile(format, "format");
  for (const [i, f] of fallbacks.entries()) compile(f, `fallback_formats[${i}]`);
  const fudge = action === "fudge";
  const last = new Map<string, bigint>();
  const keys = new StreamKeys();
  const remember = (key: string, ts: bigint) => {
    last.delete(key);
    last.set(key, ts);
    if (last.size > MAX_FUDGE_STREAMS) last.delete(last.keys().next().value!);
  };

  return mapStage(next, (e, now) => {
    const raw = e.extracted.get(source);
    if (raw === undefined || raw === null) return;
    const text = valueToString(raw);
    let ts: bigint | undefined;
    for (let i = 0; i < parsers.length && ts === undefined; i++) ts = parsers[i]!(text, now);
    if (ts !== undefined) {
      e.tsNs = ts;
      if (fudge) remember(keys.of(e.labels), ts);
      return;
    }
    if (!fudge) return;
    const key = keys.of(e.labels);
    const prev = last.get(key);
    if (prev === undefined) return;
    e.tsNs = prev + 1n;
    remember(key, e.tsNs);
  });
}
