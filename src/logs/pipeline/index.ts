/** LogQL log pipelines: compile parsed stages into a per-line processor. */
export type { IPAddress, IPMatcher } from "./ip.js";
export { compileIPPattern, parseIP } from "./ip.js";
export type { LabelPredicate } from "./label-filter.js";
export { compileLabelFilter, parseBytesValue, parseDurationValue, parseGoFloat } from "./label-filter.js";
export {
  ERROR_DETAILS_LABEL,
  ERROR_LABEL,
  EXTRACTED_SUFFIX,
  LineLabels,
  PipelineErrorCode,
  sanitizeLabelName,
} from "./line-labels.js";
export { type LogfmtVisitor, scanLogfmt } from "./logfmt.js";
export type { Pipeline, PipelineDeps, PipelineResult } from "./pipeline.js";
export { compilePipeline, DEFAULT_PIPELINE_DEPS } from "./pipeline.js";
export type { CompileTemplate, TemplateData } from "./template.js";
