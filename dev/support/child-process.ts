import type { ChildProcess } from "node:child_process";

/** How long a child gets to exit after SIGTERM before it is killed. */
const TERM_GRACE_MS = 5_000;

/** SIGTERM, then SIGKILL if it is still running after a grace period; resolves once it has exited. */
export function stopChildProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), TERM_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
