import type { StepLog } from "@upstash/workflow";
import type { Overtime } from "../overtime";

export interface StepAttemptError {
  at: number;
  status: number;
  message: string;
}

export interface StepDetail {
  step: string;
  /** False while the step has no result yet (running, sleeping, failed, or its logs expired). */
  finished: boolean;
  output?: unknown;
  outputBytes?: number;
  /** Failed deliveries of the step, oldest first. */
  errors: StepAttemptError[];
}

/**
 * A step's output and failed attempts, read on demand from QStash's workflow logs: Overtime's run
 * record keeps only each step's size, so a large output costs nothing until someone asks for it.
 */
export async function readStepDetail(overtime: Overtime, runId: string, step: string): Promise<StepDetail> {
  const { runs } = await overtime.client.logs({ filter: { workflowRunId: runId } });
  const run = runs.find((candidate) => candidate.workflowRunId === runId);
  const groups = run?.steps ?? [];
  const finished = groups
    .filter((group) => group.type !== "next")
    .flatMap((group) => group.steps as StepLog[])
    .find((log) => log.stepName === step && log.out !== undefined);
  const errors = groups
    .filter((group) => group.type === "next")
    .flatMap((group) => group.steps)
    .filter((pending) => pending.stepName === step || pending.stepName === undefined)
    .flatMap((pending) => pending.errors ?? [])
    .map((error) => ({ at: error.time, status: error.status, message: error.body || error.error }));
  if (!finished) return { step, finished: false, errors };
  const output = parseOut(finished.out);
  return {
    step,
    finished: true,
    output,
    outputBytes: new TextEncoder().encode(JSON.stringify(output) ?? "").length,
    errors,
  };
}

/** QStash hands step results back as the JSON text the SDK stored. */
function parseOut(out: unknown): unknown {
  if (typeof out !== "string") return out;
  try {
    return JSON.parse(out);
  } catch {
    return out;
  }
}
