import { ConflictError } from "../errors";
import type { Overtime } from "../overtime";
import type { RunRecord } from "./store";

/** What retrying needs of Overtime. */
type RunOps = Pick<Overtime, "client" | "store" | "start">;

export type RetryMode = "auto" | "resume" | "restart";

export interface RetriedRun {
  runId: string;
  mode: "resume" | "restart";
}

/**
 * Resume continues a failed run from its failed step as a new run (the workflow DLQ keeps the history); restart
 * starts a new run with the same input on the current code, the only option after a code change.
 */
export async function retryRun(overtime: RunOps, run: RunRecord, mode: RetryMode): Promise<RetriedRun> {
  if (run.status !== "failed" && run.status !== "canceled") {
    throw new ConflictError(`Run "${run.id}" is ${run.status}; only failed or canceled runs can be retried.`);
  }
  const canResume = run.status === "failed" && !run.incompatible;
  if (mode === "resume" && !canResume) {
    throw new ConflictError(
      run.incompatible
        ? `Run "${run.id}" failed because its workflow's code changed; restart it on the current code.`
        : `Run "${run.id}" was canceled; restart it instead.`,
    );
  }
  if (mode !== "restart" && canResume) {
    const resumed = await resumeFromDlq(overtime, run);
    if (resumed) {
      await overtime.store.linkRetry(run.id, resumed.runId);
      return resumed;
    }
    if (mode === "resume")
      throw new ConflictError(`Run "${run.id}" has no dead-letter entry to resume from.`);
  }
  const started = await overtime.start({
    workflow: run.workflow,
    input: await inputOf(overtime, run),
    source: "retry",
    retryOf: run.id,
  });
  await overtime.store.linkRetry(run.id, started.runId);
  return { runId: started.runId, mode: "restart" };
}

async function resumeFromDlq(overtime: RunOps, run: RunRecord): Promise<RetriedRun | undefined> {
  const { messages } = await overtime.client.dlq.list({ filter: { workflowRunId: run.id } });
  const entry = messages.find((message) => message.workflowRunId === run.id);
  if (!entry) return undefined;
  // QStash resumes as a NEW run that carries the old run's finished steps over.
  const resumed = await overtime.client.dlq.resume({ dlqId: entry.dlqId });
  const { store } = overtime;
  await store.apply([
    store.updateRun(resumed.workflowRunId, run.workflow, {
      status: "queued",
      setOnce: { source: "retry", retryOf: run.id, input: await inputOf(overtime, run), label: run.label },
    }),
    store.emit(resumed.workflowRunId, "run.status", { status: "queued", resumedFrom: run.id }),
  ]);
  return { runId: resumed.workflowRunId, mode: "resume" };
}

/** The run's whole input: its record may show only a preview of a large one. */
export async function inputOf(overtime: RunOps, run: RunRecord): Promise<unknown> {
  const stored = await overtime.store.fullInput(run.id);
  if (!stored.found) {
    throw new ConflictError(
      `Run "${run.id}" has a large input that is no longer stored (expired with the run's retention); ` +
        "start a new run with the input instead.",
    );
  }
  return stored.input;
}
