import { ConflictError } from "../errors";
import type { Overtime } from "../overtime";
import { inputOf } from "./retry";
import type { RunRecord } from "./store";

type RunOps = Pick<Overtime, "client" | "store" | "start">;

const FINISHED = new Set(["succeeded", "failed", "canceled"]);

export interface ReplayOptions {
  /** A new input (validated by the workflow's schema); the run's own input when omitted. */
  input?: unknown;
}

/**
 * Replay starts a new run of any finished run's workflow on the current code, with the same input or an
 * edited one; unlike retry it also takes succeeded runs (re-doing work after a fix or with other input).
 */
export async function replayRun(
  overtime: RunOps,
  run: RunRecord,
  options: ReplayOptions = {},
): Promise<{ runId: string }> {
  if (!FINISHED.has(run.status)) {
    throw new ConflictError(`Run "${run.id}" is ${run.status}; only finished runs can be replayed.`);
  }
  const input = options.input !== undefined ? options.input : await inputOf(overtime, run);
  const started = await overtime.start({ workflow: run.workflow, input, source: "retry", retryOf: run.id });
  await overtime.store.linkRetry(run.id, started.runId);
  return { runId: started.runId };
}
