/**
 * Loki's JSON push body:
 * `{"streams":[{"stream":{"app":"web"},"values":[["<ns since epoch, as a string>","line",{…metadata}?]]}]}`.
 * The stream's label object becomes selector text ({@link formatStreamLabels}); nothing else is
 * validated beyond the shape.
 */
import { PushError } from "./errors.js";
import { formatStreamLabels } from "./stream-labels.js";
import type { PushEntry, PushRequest, PushStream } from "./types.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** An int64 of nanoseconds, as Loki reads it: optional sign, decimal digits. */
const TIMESTAMP_RE = /^[+-]?[0-9]{1,19}$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * Decodes a JSON push body (UTF-8 bytes, already decompressed). Anything that is not valid UTF-8,
 * not JSON, or not of the push shape throws {@link PushError} `malformed` with the JSON path of the
 * problem (`streams[3].values[0][0]`). Timestamps must be strings of an int64, as Loki requires.
 */
export function decodePushRequestJson(body: Uint8Array): PushRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(body));
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PushError("malformed", `Loki push: body is not valid UTF-8 JSON: ${why}`, { cause: err });
  }
  if (!isObject(doc)) throw bad("", 'expected an object with a "streams" array');
  const streams = doc.streams;
  if (!Array.isArray(streams)) throw bad("streams", "expected an array of streams");
  const out: PushStream[] = [];
  for (let i = 0; i < streams.length; i++) out.push(readStream(streams[i], `streams[${i}]`));
  return { streams: out };
}

function readStream(s: unknown, path: string): PushStream {
  if (!isObject(s)) throw bad(path, 'expected an object with "stream" and "values"');
  const labels = stringMap(s.stream, `${path}.stream`);
  const values = s.values;
  if (!Array.isArray(values)) throw bad(`${path}.values`, "expected an array of [timestamp, line] values");
  const entries: PushEntry[] = [];
  for (let j = 0; j < values.length; j++) entries.push(readEntry(values[j], `${path}.values[${j}]`));
  return { labels: formatStreamLabels(labels), entries };
}

function readEntry(v: unknown, path: string): PushEntry {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
    throw bad(path, 'expected ["<ns timestamp>", "<line>"] or ["<ns timestamp>", "<line>", {metadata}]');
  }
  const [ts, line, metadata] = v as [unknown, unknown, unknown];
  if (typeof ts !== "string") {
    throw bad(`${path}[0]`, `the timestamp must be a string of nanoseconds since the epoch, not ${kind(ts)}`);
  }
  if (!TIMESTAMP_RE.test(ts))
    throw bad(`${path}[0]`, `timestamp ${JSON.stringify(ts)} is not an integer of nanoseconds`);
  const timestampNs = BigInt(ts);
  if (timestampNs > INT64_MAX || timestampNs < INT64_MIN) {
    throw bad(`${path}[0]`, `timestamp ${ts} does not fit a 64-bit integer of nanoseconds`);
  }
  if (typeof line !== "string") throw bad(`${path}[1]`, `the line must be a string, not ${kind(line)}`);
  if (v.length === 2) return { timestampNs, line };
  const structuredMetadata = stringMap(metadata, `${path}[2]`);
  return structuredMetadata.length === 0 ? { timestampNs, line } : { timestampNs, line, structuredMetadata };
}

/** A JSON object of string values as `[name, value]` pairs, in the object's order. */
function stringMap(o: unknown, path: string): [string, string][] {
  if (!isObject(o)) throw bad(path, `expected an object of string values, not ${kind(o)}`);
  const pairs: [string, string][] = [];
  for (const name of Object.keys(o)) {
    const value = o[name];
    if (typeof value !== "string") {
      throw bad(`${path}.${name}`, `values must be strings, not ${kind(value)}`);
    }
    pairs.push([name, value]);
  }
  return pairs;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

function bad(path: string, what: string): PushError {
  const at = path === "" ? "" : ` at ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`;
  return new PushError("malformed", `Loki push: invalid JSON body${at}: ${what}`);
}
