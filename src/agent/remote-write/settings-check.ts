/**
 * The checks both senders of the agent (the remote-write queue and the log shipper) make of their
 * resolved settings. Every error begins with the sender's name and names the setting to change.
 */
export class SettingsCheck {
  /** `prefix` begins every message: `remote_write <name>:`, `logs client`. */
  constructor(readonly prefix: string) {}

  /** `headers` may not set one of `protocolHeaders` (lower case), which the client sets for `protocol`. */
  headers(
    headers: Readonly<Record<string, string>>,
    protocolHeaders: ReadonlySet<string>,
    protocol: string,
  ): void {
    for (const name of Object.keys(headers)) {
      if (protocolHeaders.has(name.toLowerCase()))
        throw new Error(`${this.prefix} headers may not set ${name}, which the ${protocol} protocol sets`);
    }
  }

  /** `value` (the setting `yaml`) must be a finite number above 0. */
  positive(value: unknown, yaml: string): void {
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value))
      throw new Error(`${this.prefix} ${yaml} must be a number > 0, got ${String(value)}`);
  }

  /** `low` (the setting `lowYaml`) may not be above `high` (`highYaml`); `unit` follows the values. */
  notAbove(low: number, lowYaml: string, high: number, highYaml: string, unit = ""): void {
    if (low > high)
      throw new Error(`${this.prefix} ${lowYaml} (${low}${unit}) is above ${highYaml} (${high}${unit})`);
  }
}
