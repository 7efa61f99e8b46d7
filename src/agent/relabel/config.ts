import { isValidLabelName, isValidLabelNameTemplate, type NameValidation } from "./label-name.js";
import { AnchoredRegex } from "./regex.js";

/** The relabel actions, as Prometheus names them. */
export const RELABEL_ACTIONS = [
  "replace",
  "keep",
  "drop",
  "keepequal",
  "dropequal",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
] as const;

/** One relabel action. */
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/**
 * One relabel rule as written in a configuration, under Prometheus's YAML names. An absent field takes
 * Prometheus's default ({@link RELABEL_DEFAULTS}); `action` is read case-insensitively. Whether
 * `regex` and `source_labels` are given at all matters (as in Prometheus, `keepequal` refuses any
 * `regex`, even `(.*)`, and `labeldrop` any `source_labels`, even `[]`).
 */
export interface RelabelConfig {
  readonly source_labels?: readonly string[] | undefined;
  readonly separator?: string | undefined;
  readonly regex?: string | undefined;
  readonly modulus?: number | undefined;
  readonly target_label?: string | undefined;
  readonly replacement?: string | undefined;
  readonly action?: string | undefined;
}

/** Prometheus's defaults for the fields of a relabel rule. */
export const RELABEL_DEFAULTS = {
  separator: ";",
  regex: "(.*)",
  modulus: 0,
  target_label: "",
  replacement: "$1",
  action: "replace",
} as const;

/** A relabel rule that passed {@link checkRelabelConfig}: defaults filled in, regex compiled. */
export interface CheckedRelabelConfig {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: AnchoredRegex;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
}

/**
 * A relabel rule that Prometheus would refuse. `reason` is Prometheus's own message (e.g.
 * `relabel configuration for hashmod requires non-zero modulus`); the message adds which rule.
 */
export class RelabelConfigError extends Error {
  /** Stable code of every relabel configuration error. */
  readonly code = "relabel_invalid_config";

  constructor(
    readonly reason: string,
    /** Position of the rule in its list, when known. */
    readonly index?: number,
  ) {
    super(index === undefined ? reason : `relabel rule ${index}: ${reason}`);
    this.name = "RelabelConfigError";
  }
}

const ACTIONS: ReadonlySet<string> = new Set(RELABEL_ACTIONS);
const NEEDS_TARGET: ReadonlySet<RelabelAction> = new Set([
  "replace",
  "hashmod",
  "lowercase",
  "uppercase",
  "keepequal",
  "dropequal",
]);
const TARGET_ONLY: ReadonlySet<RelabelAction> = new Set(["lowercase", "uppercase", "keepequal", "dropequal"]);

/**
 * Validates one rule as Prometheus does when it loads a configuration, with the same checks in the
 * same order and the same messages, and compiles its regex. Label names are judged by `scheme`
 * (`utf8` in Prometheus 3 unless `metric_name_validation_scheme: legacy`). Throws
 * {@link RelabelConfigError}.
 */
export function checkRelabelConfig(
  cfg: RelabelConfig,
  scheme: NameValidation = "utf8",
): CheckedRelabelConfig {
  const fail = (reason: string): never => {
    throw new RelabelConfigError(reason);
  };
  const written = cfg.action ?? RELABEL_DEFAULTS.action;
  const lowered = written.toLowerCase();
  if (written !== "" && !ACTIONS.has(lowered)) fail(`unknown relabel action ${JSON.stringify(written)}`);
  for (const name of cfg.source_labels ?? [])
    if (!isValidLabelName(name, scheme)) fail(`${JSON.stringify(name)} is not a valid label name`);
  const modulus = cfg.modulus ?? RELABEL_DEFAULTS.modulus;
  if (!Number.isSafeInteger(modulus) || modulus < 0)
    fail(`modulus must be a whole number from 0 to 2^53-1, got ${modulus}`);
  const pattern = cfg.regex ?? RELABEL_DEFAULTS.regex;
  let regex: AnchoredRegex | undefined;
  try {
    regex = new AnchoredRegex(pattern);
  } catch (err) {
    fail(`error parsing regexp ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  if (written === "") fail("relabel action cannot be empty");
  const action = lowered as RelabelAction;
  const separator = cfg.separator ?? RELABEL_DEFAULTS.separator;
  const target = cfg.target_label ?? RELABEL_DEFAULTS.target_label;
  const replacement = cfg.replacement ?? RELABEL_DEFAULTS.replacement;
  const invalidTarget = () =>
    fail(`${JSON.stringify(target)} is invalid 'target_label' for ${action} action`);

  if (modulus === 0 && action === "hashmod")
    fail("relabel configuration for hashmod requires non-zero modulus");
  if (NEEDS_TARGET.has(action) && target === "")
    fail(`relabel configuration for ${action} action requires 'target_label' value`);
  if (action === "replace") {
    const ok = target.includes("$")
      ? isValidLabelNameTemplate(target, scheme)
      : isValidLabelName(target, scheme);
    if (!ok) invalidTarget();
  }
  if (TARGET_ONLY.has(action)) {
    if (!isValidLabelName(target, scheme)) invalidTarget();
    if (replacement !== RELABEL_DEFAULTS.replacement)
      fail(`'replacement' can not be set for ${action} action`);
  }
  if (action === "labelmap" && !isValidLabelNameTemplate(replacement, scheme))
    fail(`${JSON.stringify(replacement)} is invalid 'replacement' for ${action} action`);
  if (action === "hashmod" && !isValidLabelName(target, scheme)) invalidTarget();
  const others =
    modulus !== RELABEL_DEFAULTS.modulus ||
    separator !== RELABEL_DEFAULTS.separator ||
    replacement !== RELABEL_DEFAULTS.replacement;
  if ((action === "keepequal" || action === "dropequal") && (cfg.regex !== undefined || others))
    fail(`${action} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  if (
    (action === "labeldrop" || action === "labelkeep") &&
    (cfg.source_labels !== undefined || target !== RELABEL_DEFAULTS.target_label || others)
  )
    fail(`${action} action requires only 'regex', and no other fields`);

  return {
    action,
    sourceLabels: cfg.source_labels ?? [],
    separator,
    regex: regex!,
    modulus,
    targetLabel: target,
    replacement,
  };
}
