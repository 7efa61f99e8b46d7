// Runs the built program (npm run build writes dist/) with `argv` and exits with its code.
export async function launch(argv) {
  if (argv[0] === "agent") {
    // Before anything else loads: the young generation must not have grown yet (ADR 16).
    const { tuneAgentHeap } = await import("../dist/agent/heap-tuning.js");
    tuneAgentHeap();
  }
  const { main } = await import("../dist/cli/main.js");
  main(argv).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`mirador: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
