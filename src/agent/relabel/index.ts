/**
 * Relabeling with Prometheus's semantics: `relabel_configs` (targets) and `metric_relabel_configs`
 * (scraped series). Compile a rule list once with {@link compileRelabel}, apply it per label set.
 */
export {
  type CheckedRelabelConfig,
  checkRelabelConfig,
  RELABEL_ACTIONS,
  RELABEL_DEFAULTS,
  type RelabelAction,
  type RelabelConfig,
  RelabelConfigError,
} from "./config.js";
export { isValidLabelName, type NameValidation } from "./label-name.js";
export { compileRelabel, type RelabelOptions, RelabelProgram } from "./program.js";
export { relabelConfigSchema, relabelConfigSchemaFor, relabelConfigsSchema } from "./schema.js";
