import { dirname, isAbsolute, resolve } from "node:path";
import { type AgentConfig, agentConfigSchema, loadConfig } from "../server/config.js";

/**
 * Loads the agent configuration `file` (`mirador agent --config FILE`). Relative paths in it — the
 * `tls` files and `data_dir` — are read from the file's directory, not the working directory, so
 * that an install bundle runs from wherever it is unpacked and whatever directory the agent is
 * started in. Throws ConfigError naming the file and the key at fault.
 */
export function loadAgentConfigFile(file: string): AgentConfig {
  return resolveAgentPaths(loadConfig(agentConfigSchema, { file }), dirname(resolve(file)));
}

/** `config` with its relative `tls` files and `data_dir` made absolute against `dir`. */
export function resolveAgentPaths(config: AgentConfig, dir: string): AgentConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  return {
    ...config,
    data_dir: abs(config.data_dir),
    ...(config.tls && {
      tls: {
        cert_file: abs(config.tls.cert_file),
        key_file: abs(config.tls.key_file),
        ca_file: abs(config.tls.ca_file),
      },
    }),
  };
}
