import { spawn } from "node:child_process";
import { expect } from "vitest";

/**
 * Runs `node script ...args` — a crash-test child that prints `ready` once it writes, then the id
 * of each commit after it was acknowledged, one per line — for `runMs` after it is ready, then
 * SIGKILLs it. Returns the acknowledged ids: only complete lines count, since a line cut short by
 * the kill was not fully acknowledged output. Fails if the child was not ready or died on its own.
 */
export async function runAndKill(script: string, args: readonly string[], runMs: number): Promise<number[]> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const acked: number[] = [];
  let stderr = "";
  let partial = "";
  let ready = false;
  const exited = new Promise<NodeJS.Signals | null>((res) =>
    child.once("exit", (_code, signal) => res(signal)),
  );
  const readyOrExit = new Promise<void>((res) => {
    child.stdout.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready") {
          ready = true;
          res();
        } else acked.push(Number(line));
      }
    });
    void exited.then(() => res());
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  await readyOrExit;
  if (!ready) throw new Error(`crash child exited before it was ready: ${stderr}`);
  await new Promise((res) => setTimeout(res, runMs));
  child.kill("SIGKILL");
  expect(await exited, `the child died on its own: ${stderr}`).toBe("SIGKILL");
  return acked;
}
