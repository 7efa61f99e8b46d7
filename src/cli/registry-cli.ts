import { CLUSTER_USAGE, clusterCommand } from "./cluster-cli.js";
import { CommandError, isParseArgsError, UsageError } from "./command-args.js";
import { PROJECT_USAGE, projectCommand } from "./project-cli.js";
import { ApiError, DEFAULT_SERVER } from "./registry-client.js";

const SERVER_HELP = `Every command takes --server URL: the seed's HTTP address (else $MIRADOR_SERVER, else
${DEFAULT_SERVER}). The registry API answers clients on the seed's own machine only.
`;

/**
 * Runs `mirador project …` or `mirador cluster …` against the seed's registry API and resolves with
 * the exit code: 0; 1 when the seed refused (its message printed) or could not be reached, or a
 * file could not be read or written; 2 for a command line that cannot run (with the usage).
 */
export async function runRegistryCommand(
  group: "project" | "cluster",
  args: readonly string[],
): Promise<number> {
  const usage = group === "project" ? PROJECT_USAGE : CLUSTER_USAGE;
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    (sub === undefined ? process.stderr : process.stdout).write(`${usage}\n${SERVER_HELP}`);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (group === "project") await projectCommand(sub, rest);
    else await clusterCommand(sub, rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      process.stderr.write(`mirador ${group} ${sub}: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    if (err instanceof ApiError || err instanceof CommandError) {
      process.stderr.write(`mirador: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
