import { type ParseArgsConfig, parseArgs } from "node:util";
import { DEFAULT_SERVER, RegistryClient } from "./registry-client.js";

/** A command line the command cannot run: exit code 2, with the usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A command that failed for a reason other than the server's answer (a file, a directory): exit code 1. */
export class CommandError extends Error {
  override readonly name = "CommandError";
}

/** Parsed option values of a subcommand. */
export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** A parsed subcommand: its option values, its positionals and a client of the seed it names. */
export interface ParsedCommand {
  readonly values: Values;
  readonly positionals: readonly string[];
  readonly client: RegistryClient;
}

/**
 * Parses a subcommand's arguments: its `options` plus `--server` (else `MIRADOR_SERVER`, else
 * http://127.0.0.1:9700), and exactly the positionals `names` (`NAME`). Unknown options and missing
 * or extra positionals are usage errors.
 */
export function parseCommand(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  names: readonly string[],
): ParsedCommand {
  const parsed = parseArgs({
    args: [...args],
    options: { ...options, server: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (parsed.positionals.length < names.length)
    throw new UsageError(`missing ${names.slice(parsed.positionals.length).join(" ")}`);
  if (parsed.positionals.length > names.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[names.length])}`);
  const server = str(parsed.values, "server") ?? process.env.MIRADOR_SERVER ?? DEFAULT_SERVER;
  let client: RegistryClient;
  try {
    client = new RegistryClient(server);
  } catch {
    throw new UsageError(`--server: ${JSON.stringify(server)} is not a URL; give e.g. ${DEFAULT_SERVER}`);
  }
  return { values: parsed.values, positionals: parsed.positionals, client };
}

/** A string option's value. */
export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable string option's values. */
export function strs(values: Values, key: string): string[] {
  const v = values[key];
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === "string")
    : typeof v === "string"
      ? [v]
      : [];
}

/** The `--label k=v` flags as a map; with `allowRemove`, `k-` maps k to undefined (remove it). */
export function parseLabels(values: Values, allowRemove = false): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const text of strs(values, "label")) {
    const eq = text.indexOf("=");
    if (eq > 0) out.set(text.slice(0, eq), text.slice(eq + 1));
    else if (allowRemove && text.endsWith("-") && text.length > 1) out.set(text.slice(0, -1), undefined);
    else
      throw new UsageError(
        `--label: expected k=v${allowRemove ? " or k- (to remove k)" : ""}, got ${JSON.stringify(text)}`,
      );
  }
  return out;
}

/** A boolean option. */
export function flag(values: Values, key: string): boolean {
  return values[key] === true;
}

/** `-o`: a table for people (default) or JSON for scripts. */
export function outputFormat(values: Values): "table" | "json" {
  const value = str(values, "output");
  if (value === undefined || value === "table") return "table";
  if (value === "json") return "json";
  throw new UsageError(`-o: expected json (or table), got ${JSON.stringify(value)}`);
}

/** The `-o json|table` option. */
export const OUTPUT_OPTION = { output: { type: "string", short: "o" } } as const;

/** Writes `value` as indented JSON. */
export function printJSON(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Whether `err` is one of node:util parseArgs' errors (unknown option, missing value…). */
export function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");
}
