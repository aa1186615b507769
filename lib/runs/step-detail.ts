import type { StepLog } from "@upstash/workflow";
import type { Overtime } from "../overtime";
import { storedJsonOrText } from "../stored-json";
import { errorText } from "./error-text";

export interface StepAttemptError {
  /** 1 for the first delivery of the step. */
  attempt: number;
  at: number;
  status: number;
  /** The error's message only: no stack trace, no server path. */
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
  const recorded = groups
    .filter((group) => group.type !== "next")
    .flatMap((group) => group.steps as StepLog[])
    .sort((a, b) => (a.stepId ?? 0) - (b.stepId ?? 0));
  const { name, nth } = parseRecordName(step, recorded);
  const nthCall = recorded.filter((log) => log.stepName === name)[nth - 1];
  const finished = nthCall?.out !== undefined ? nthCall : undefined;
  const errors = groups
    .filter((group) => group.type === "next")
    .flatMap((group) => group.steps)
    .filter((pending) => pending.stepName === name || pending.stepName === undefined)
    .flatMap((pending) => pending.errors ?? [])
    .map((error, index) => ({
      attempt: index + 1,
      at: error.time,
      status: error.status,
      message: errorText(error.body || error.error),
    }));
  if (!finished) return { step, finished: false, errors };
  const output = storedJsonOrText(finished.out);
  return {
    step,
    finished: true,
    output,
    outputBytes: new TextEncoder().encode(JSON.stringify(output) ?? "").length,
    errors,
  };
}

/** `poll#3` is the third call of a step named `poll` (see RunTracker); a real name with a `#` wins. */
function parseRecordName(step: string, logs: StepLog[]): { name: string; nth: number } {
  const match = /^(.*)#(\d+)$/.exec(step);
  if (!match || logs.some((log) => log.stepName === step)) return { name: step, nth: 1 };
  return { name: match[1] as string, nth: Number(match[2]) };
}
