/**
 * The agent's log delivery to the seed (docs/format/agent-log-records.md): `const s = await
 * LogShipper.open(config, deps)`, `s.start()`, `s.appendBytes(stream, …)` (with `stream =
 * s.lineStream(labels)`, made once) or `s.append(streams)` as lines are read, `await s.sync()` before
 * persisting file positions, `await s.stop(graceMs)`. Shares the disk queue, the HTTP client,
 * the backoff and the Retry-After handling with the metrics side.
 */
export { type LogShipperConfig, PUSH_PATH, pushUrlOf } from "./config.js";
export { type AppendResult, type LineStream, LogShipper, type LogShipperDeps } from "./log-shipper.js";
export type { LogEntry, LogStream, StreamLabelsInput } from "./log-streams.js";
export {
  type IndexedRecord,
  type IndexedStream,
  indexLogRecord,
  LOG_RECORD_VERSION,
  LogRecordError,
  type LogRecordErrorCode,
} from "./record-codec.js";
