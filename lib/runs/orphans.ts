import type { Client as WorkflowClient } from "@upstash/workflow";
import { releaseKey } from "../trigger/idempotency";
import type { RunRecord, RunStore } from "./store";

/** A queued run older than this that QStash does not know was never published. */
export const DEFAULT_ORPHAN_AFTER_MS = 60_000;

export const NEVER_PUBLISHED =
  "The run was never handed to QStash: the app stopped between recording it and publishing it. " +
  "Trigger it again (the same Idempotency-Key starts it anew).";

export interface OrphanDeps {
  store: RunStore;
  client: WorkflowClient;
  orphanAfterMs?: number;
  now?: () => number;
}

/**
 * A `queued` record whose publish never happened (the process died in between) would stay queued
 * forever. When such a record is read and is old enough, QStash is asked whether it knows the run; if
 * not, the run is marked failed with the reason, and its idempotency key (if any, and still
 * unpublished) is released so a retry with the same key starts a new run instead of pointing at it.
 */
export async function settleIfOrphaned(deps: OrphanDeps, run: RunRecord): Promise<RunRecord> {
  const now = deps.now?.() ?? Date.now();
  if (run.status !== "queued" || now - run.createdAt < (deps.orphanAfterMs ?? DEFAULT_ORPHAN_AFTER_MS))
    return run;
  const { runs } = await deps.client.logs({ filter: { workflowRunId: run.id } });
  if (runs.some((logged) => logged.workflowRunId === run.id)) return run;
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
