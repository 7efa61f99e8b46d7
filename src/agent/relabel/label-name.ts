/**
 * Label-name validity as Prometheus judges it during relabeling, under either of its two naming
 * schemes: `utf8` (Prometheus 3's default: any non-empty, well-formed UTF-8 text) or `legacy`
 * (`[a-zA-Z_][a-zA-Z0-9_]*`).
 */
export type NameValidation = "utf8" | "legacy";

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A lone surrogate: text that has no UTF-8 encoding. */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * A legacy name that may hold `$1`, `$name` or `${name}` references: it starts with a letter, `_`
 * or a reference, and goes on with word characters and references. (Written so that each character
 * has one reading: no backtracking blow-up on long input.)
 */
const LEGACY_TEMPLATE = /^(?:[a-zA-Z_]|\$(?:\{\w+\}|\w))(?:\w|\$(?:\{\w+\}|\w))*$/;

/** Whether `name` is a valid label name under `scheme`. */
export function isValidLabelName(name: string, scheme: NameValidation): boolean {
  if (scheme === "legacy") return LEGACY_NAME.test(name);
  return name !== "" && !LONE_SURROGATE.test(name);
}

/**
 * Whether `name`, a label name that may contain `$` references (a `target_label` of `replace`, the
 * `replacement` of `labelmap`), is acceptable before expansion under `scheme`.
 */
export function isValidLabelNameTemplate(name: string, scheme: NameValidation): boolean {
  if (scheme === "legacy") return LEGACY_TEMPLATE.test(name);
  return isValidLabelName(name, scheme);
}
