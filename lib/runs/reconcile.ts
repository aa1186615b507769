import type { Client as WorkflowClient } from "@upstash/workflow";
import { releaseKey } from "../trigger/idempotency";
import { errorText } from "./error-text";
import type { RunStatus } from "./keys";
import type { RunError, RunRecord, RunStore } from "./store";

/** A record not updated for this long is checked against QStash when it is read. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

export const NEVER_PUBLISHED =
  "The run was never handed to QStash: the app stopped between recording it and publishing it. " +
  "Trigger it again (the same Idempotency-Key starts it anew).";

const SUSPECT: readonly RunStatus[] = ["queued", "running"];

/** QStash's clock and the app's may differ a little. */
const CLOCK_SKEW_MS = 60_000;

export interface ReconcileDeps {
  store: RunStore;
  client: WorkflowClient;
  staleAfterMs?: number;
  now?: () => number;
}

type LoggedState = "RUN_STARTED" | "RUN_SUCCESS" | "RUN_FAILED" | "RUN_CANCELED";
const ENDED: Partial<Record<LoggedState, RunStatus>> = {
  RUN_SUCCESS: "succeeded",
  RUN_FAILED: "failed",
  RUN_CANCELED: "canceled",
};

/**
 * QStash is the truth about whether a run lives; Overtime's record is written beside it and can miss a
 * write when the process dies at the wrong moment (after QStash ended the run, before the record's
 * pipeline went out; or between recording a run and publishing it). A record that is not finished and
 * has not changed for `staleAfterMs` (only `queued` or `running`: sleeps and waits are quiet by design)
 * is compared with QStash's log of the run when it is read, at most once per `staleAfterMs`:
 * - QStash ended the run → the record gets that end (status, output, finish time);
 * - QStash never heard of it and it is still `queued` → failed as `never_published`, and its
 *   unpublished idempotency key is released so the caller's retry starts it anew;
 * - otherwise it is left as it is (a long sleep or wait), and not checked again for a while.
 */
export function createReconciler(deps: ReconcileDeps): (run: RunRecord) => Promise<RunRecord> {
  const staleAfterMs = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const checked = new Map<string, number>();
  const reconcile = async (run: RunRecord): Promise<RunRecord> => {
    const now = deps.now?.() ?? Date.now();
    // Sleeping and waiting runs stay quiet for long by design; a lost write leaves `queued` or `running`.
    if (!SUSPECT.includes(run.status) || now - run.updatedAt < staleAfterMs) return run;
    if (now - (checked.get(run.id) ?? 0) < staleAfterMs) return run;
    const { runs } = await deps.client.logs({ filter: { workflowRunId: run.id } });
    // A reused run id has older runs in the log: only one created with (or after) this record counts.
    const logged = runs
      .filter((candidate) => candidate.workflowRunId === run.id)
      .filter((candidate) => candidate.workflowRunCreatedAt >= run.createdAt - CLOCK_SKEW_MS)
      .sort((a, b) => b.workflowRunCreatedAt - a.workflowRunCreatedAt)[0];
    if (!logged) return run.status === "queued" ? neverPublished(deps, run, now) : remember(run);
    const ended = ENDED[logged.workflowState as LoggedState];
    if (!ended) return remember(run);
    const finishedAt = now;
    const output = ended === "succeeded" ? parsed(logged.workflowRunResponse) : undefined;
    const error: RunError | undefined =
      ended === "failed" ? (run.error ?? failureOf(logged.failureFunction)) : undefined;
    await deps.store.apply([
      deps.store.updateRun(run.id, run.workflow, {
        status: ended,
        set: {
          finishedAt,
          ...(output !== undefined && { output: deps.store.bounded(output) }),
          ...(error && { error }),
        },
      }),
      deps.store.emit(run.id, "run.status", { status: ended }),
    ]);
    return {
      ...run,
      status: ended,
      finishedAt,
      ...(output !== undefined && { output }),
      ...(error && { error }),
    };
  };

  // Reading must work while QStash does not: a record that cannot be checked now is shown as it is.
  return (run) =>
    reconcile(run).catch((error: unknown) => {
      console.error(`[overtime] could not reconcile run ${run.id} with QStash:`, errorText(error));
      return run;
    });

  function remember(run: RunRecord): RunRecord {
    if (checked.size > 10_000) checked.clear();
    checked.set(run.id, deps.now?.() ?? Date.now());
    return run;
  }
}

async function neverPublished(deps: ReconcileDeps, run: RunRecord, now: number): Promise<RunRecord> {
  const error = { message: NEVER_PUBLISHED, code: "never_published" };
  await deps.store.apply([
    deps.store.updateRun(run.id, run.workflow, { status: "failed", set: { error, finishedAt: now } }),
    deps.store.emit(run.id, "run.status", { status: "failed", error }),
  ]);
  if (run.idempotencyKey) {
    const key = deps.store.keys.idempotency(run.workflow, run.caller ?? "anonymous", run.idempotencyKey);
    await releaseKey(deps.store.redis, key, run.id);
  }
  return { ...run, status: "failed", error, finishedAt: now };
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The failure QStash logged for the run: the failed step's answer, as the failure callback carries it. */
function failureOf(failure: { failResponse?: unknown } | undefined): RunError {
  const message = failure?.failResponse === undefined ? "" : errorText(failure.failResponse);
  return { message: message || "QStash reports the run failed.", code: "failed_in_qstash" };
}
