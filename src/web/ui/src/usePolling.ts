import { useEffect, useRef } from "preact/hooks";

/**
 * Runs `task` now and then every `intervalMs`, and again from scratch whenever a value in `deps`
 * changes. A new run aborts the previous one's signal, as does unmounting; `task` should drop its
 * results once its signal is aborted.
 */
export function usePolling(
  task: (signal: AbortSignal) => Promise<void>,
  intervalMs: number,
  deps: readonly unknown[],
): void {
  // The latest task is read at each tick, so callers may pass a fresh closure on every render.
  const latest = useRef(task);
  latest.current = task;
  useEffect(() => {
    let controller = new AbortController();
    const run = () => {
      controller.abort();
      controller = new AbortController();
      latest.current(controller.signal).catch(() => {});
    };
    run();
    const timer = window.setInterval(run, intervalMs);
    return () => {
      window.clearInterval(timer);
      controller.abort();
    };
  }, [intervalMs, ...deps]);
}
