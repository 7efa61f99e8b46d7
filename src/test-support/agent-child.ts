import { type ChildProcess, spawn } from "node:child_process";
import { eventually } from "./seed.js";

/**
 * A `mirador agent --config=<config>` child process run by `runner` (see `transpileSeed`); `start`
 * resolves once it logged "agent started", `stop` sends SIGTERM and waits for the exit.
 */
export class AgentChild {
  #proc: ChildProcess | undefined;
  #out = "";

  constructor(
    private readonly runner: string,
    private readonly config: string,
  ) {}

  async start(): Promise<void> {
    const proc = spawn(process.execPath, [this.runner, "agent", `--config=${this.config}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#proc = proc;
    const keep = (b: Buffer) => {
      this.#out = (this.#out + b.toString()).slice(-20_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    await eventually(
      async () => (/agent started/.test(this.#out) ? true : proc.exitCode === null ? undefined : false),
      30_000,
      () => `the agent to start:\n${this.#out}`,
    ).then((ok) => {
      if (!ok) throw new Error(`the agent exited:\n${this.#out}`);
    });
  }

  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }

  output(): string {
    return this.#out;
  }
}
