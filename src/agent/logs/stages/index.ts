/**
 * The agent's log pipeline stages, configured like Promtail's `pipeline_stages`: compile the
 * YAML-decoded list once with {@link compilePipeline}, then feed entries with `process(entry, now)`
 * and call `flush(now)` periodically (and `flush(now, true)` at shutdown). Lines a parser stage cannot
 * parse are kept with `log_error=<stage>`; drops are counted by reason in `pipeline.dropped`.
 */
export type { Pipeline, PipelineOptions } from "./compile.js";
export { compilePipeline, STAGE_NAMES } from "./compile.js";
export { StageConfigError } from "./config.js";
export { PARTIAL_MAX_WAIT_MS } from "./container-formats.js";
export { DROP_STAGE_REASON } from "./drop.js";
export type { Entry } from "./entry.js";
export { LOG_ERROR_LABEL, newEntry } from "./entry.js";
export { MALFORMED_JSON } from "./json.js";
export { RATELIMIT_REASON } from "./limit.js";
export { MATCH_STAGE_REASON } from "./match.js";
