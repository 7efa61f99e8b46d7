import { Labels } from "../../model/labels.js";
import { RelabelBuilder } from "./builder.js";
import { goLowercase, goUppercase } from "./case.js";
import {
  type CheckedRelabelConfig,
  checkRelabelConfig,
  type RelabelConfig,
  RelabelConfigError,
} from "./config.js";
import { hashmod } from "./hashmod.js";
import { isValidLabelName, type NameValidation } from "./label-name.js";
import { Template } from "./template.js";

/** Options of {@link compileRelabel}. */
export interface RelabelOptions {
  /** How label names are validated, in the configuration and after `$` expansion. Default `utf8`. */
  readonly nameValidation?: NameValidation;
}

/** One compiled rule: applies itself to the builder; false when the label set is dropped. */
type Step = (b: RelabelBuilder) => boolean;

/**
 * A compiled list of relabel rules (`relabel_configs`, `metric_relabel_configs`), applied in order
 * with Prometheus's semantics. Build one with {@link compileRelabel}; apply it as often as needed.
 * `apply` is synchronous; a program reuses one scratch builder, so it is cheap to call per series.
 */
export class RelabelProgram {
  readonly #steps: readonly Step[];
  readonly #builder = new RelabelBuilder();

  private constructor(steps: readonly Step[]) {
    this.#steps = steps;
  }

  /** See {@link compileRelabel}. */
  static compile(configs: readonly RelabelConfig[], opts: RelabelOptions = {}): RelabelProgram {
    const scheme = opts.nameValidation ?? "utf8";
    const steps = configs.map((cfg, i) => {
      try {
        return compileStep(checkRelabelConfig(cfg, scheme), scheme);
      } catch (err) {
        if (err instanceof RelabelConfigError) throw new RelabelConfigError(err.reason, i);
        throw err;
      }
    });
    return new RelabelProgram(steps);
  }

  /** Number of rules. */
  get size(): number {
    return this.#steps.length;
  }

  /**
   * Relabels `labels`: the resulting label set (labels whose value became empty are gone; `labels`
   * itself when no rule changed anything), or `undefined` when a `keep`, `drop`, `keepequal` or
   * `dropequal` rule dropped it. The result may be empty (e.g. after `labelkeep`); whether that
   * drops a target or a series is the caller's decision, as in Prometheus.
   */
  apply(labels: Labels): Labels | undefined {
    const steps = this.#steps;
    if (steps.length === 0) return labels;
    const b = this.#builder;
    b.reset(labels);
    let out: Labels | undefined;
    try {
      let kept = true;
      for (let i = 0; kept && i < steps.length; i++) kept = steps[i]!(b);
      out = kept ? b.labels() : undefined;
    } finally {
      b.reset(Labels.EMPTY);
    }
    return out;
  }
}

/**
 * Validates and compiles relabel rules in order. Throws {@link RelabelConfigError} (with the rule's
 * position and Prometheus's message) for the first invalid one.
 */
export function compileRelabel(configs: readonly RelabelConfig[], opts: RelabelOptions = {}): RelabelProgram {
  return RelabelProgram.compile(configs, opts);
}

/** The value a rule matches: its source labels' values joined by its separator. */
function sourceValue(names: readonly string[], separator: string): (b: RelabelBuilder) => string {
  if (names.length === 0) return () => "";
  if (names.length === 1) {
    const name = names[0]!;
    return (b) => b.get(name);
  }
  return (b) => {
    let s = b.get(names[0]!);
    for (let i = 1; i < names.length; i++) s += separator + b.get(names[i]!);
    return s;
  };
}

function compileStep(c: CheckedRelabelConfig, scheme: NameValidation): Step {
  const re = c.regex;
  const source = sourceValue(c.sourceLabels, c.separator);
  const target = c.targetLabel;
  switch (c.action) {
    case "replace":
      return compileReplace(c, source, scheme);
    case "keep":
      return (b) => re.test(source(b));
    case "drop":
      return (b) => !re.test(source(b));
    case "keepequal":
      return (b) => b.get(target) === source(b);
    case "dropequal":
      return (b) => b.get(target) !== source(b);
    case "hashmod": {
      const modulus = BigInt(c.modulus);
      return (b) => {
        b.set(target, hashmod(source(b), modulus));
        return true;
      };
    }
    case "lowercase":
      return (b) => {
        b.set(target, goLowercase(source(b)));
        return true;
      };
    case "uppercase":
      return (b) => {
        b.set(target, goUppercase(source(b)));
        return true;
      };
    case "labelmap": {
      const replacement = Template.parse(c.replacement);
      return (b) => {
        const labels = b.snapshot();
        for (let i = 0; i < labels.length; i += 2) {
          const m = re.exec(labels[i]!);
          if (m === null) continue;
          const name = replacement.expand(m);
          // Prometheus would write a label with an empty name; no label set here may hold one.
          if (name !== "") b.set(name, labels[i + 1]!);
        }
        return true;
      };
    }
    case "labeldrop":
    case "labelkeep": {
      const dropWhen = c.action === "labeldrop";
      return (b) => {
        const labels = b.snapshot();
        for (let i = 0; i < labels.length; i += 2) if (re.test(labels[i]!) === dropWhen) b.delete(labels[i]!);
        return true;
      };
    }
  }
}

/**
 * `replace`: when the regex matches the source value, the expanded `target_label` (if it is a valid
 * label name once expanded; otherwise nothing happens) is set to the expanded `replacement` (an empty
 * one deletes the label).
 */
function compileReplace(
  c: CheckedRelabelConfig,
  source: (b: RelabelBuilder) => string,
  scheme: NameValidation,
): Step {
  const re = c.regex;
  const target = Template.parse(c.targetLabel);
  const replacement = Template.parse(c.replacement);
  if (target.isConstant) {
    const name = target.constant;
    if (!isValidLabelName(name, scheme)) return () => true;
    if (replacement.isConstant) {
      const value = replacement.constant;
      return (b) => {
        if (re.test(source(b))) b.set(name, value);
        return true;
      };
    }
    return (b) => {
      const m = re.exec(source(b));
      if (m !== null) b.set(name, replacement.expand(m));
      return true;
    };
  }
  return (b) => {
    const m = re.exec(source(b));
    if (m === null) return true;
    const name = target.expand(m);
    if (isValidLabelName(name, scheme)) b.set(name, replacement.expand(m));
    return true;
  };
}
