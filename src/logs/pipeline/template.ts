/** What a `line_format`/`label_format` template sees for one line. */
export interface TemplateData {
  /** The line's current labels by name (values may be empty). */
  readonly labels: Readonly<Record<string, string>>;
  /** The current line (`__line__`). */
  readonly line: string;
  /** The entry's timestamp in Unix nanoseconds (`__timestamp__`). */
  readonly tsNs: bigint;
}

/**
 * Compiles a Go text/template as Loki's `line_format` and `label_format` use it. Throws for an
 * invalid template; the returned function may throw on a failure while rendering, which the
 * pipeline records as `__error__="TemplateFormatErr"`.
 */
export type CompileTemplate = (text: string) => (data: TemplateData) => string;
