"use server";

import { revalidatePath } from "next/cache";
import type { RetryMode } from "overtime";
import { ConflictError, NotFoundError, ValidationError } from "overtime";
import { ApprovalAlreadyDecidedError, ApprovalNotFoundError } from "overtime/ai";
import { type ActionResult, actionResult, loadOvertime } from "@/app/_lib/server";

async function requireRun(runId: string) {
  const loaded = loadOvertime();
  if (!loaded.ok) throw loaded.problem;
  const run = await loaded.overtime.runs.get(runId);
  if (!run) throw new NotFoundError(`No run with id "${runId}".`);
  return { overtime: loaded.overtime, run };
}

export async function cancelRunAction(runId: string): Promise<ActionResult> {
  return actionResult(async () => {
    const { overtime } = await requireRun(runId);
    await overtime.runs.cancel(runId);
    revalidatePath(`/runs/${encodeURIComponent(runId)}`);
    return { ok: true, runId };
  });
}

export async function retryRunAction(runId: string, mode: RetryMode): Promise<ActionResult> {
  return actionResult(async () => {
    const { overtime } = await requireRun(runId);
    const retried = await overtime.runs.retry(runId, mode);
    return { ok: true, runId: retried.runId };
  });
}

/** `inputJson` empty = the run's own input; otherwise JSON checked by the workflow's schema. */
export async function replayRunAction(runId: string, inputJson?: string): Promise<ActionResult> {
  return actionResult(async () => {
    const { overtime } = await requireRun(runId);
    let input: unknown;
    if (inputJson !== undefined && inputJson.trim() !== "") {
      try {
        input = JSON.parse(inputJson);
      } catch {
        return { ok: false, error: "The edited input is not valid JSON." };
      }
    }
    try {
      const replayed = await overtime.runs.replay(runId, input === undefined ? {} : { input });
      return { ok: true, runId: replayed.runId };
    } catch (error) {
      // A bad edited input names its fields; a run that is not finished says so.
      if (error instanceof ValidationError || error instanceof ConflictError) {
        return { ok: false, error: error.message };
      }
      throw error;
    }
  });
}

export async function decideApprovalAction(
  runId: string,
  toolCallId: string,
  approved: boolean,
  note: string,
): Promise<ActionResult> {
  return actionResult(async () => {
    const { overtime } = await requireRun(runId);
    try {
      await overtime.services.approvals.decide(runId, toolCallId, {
        approved,
        ...(note.trim() && { note: note.trim() }),
      });
    } catch (error) {
      if (error instanceof ApprovalNotFoundError || error instanceof ApprovalAlreadyDecidedError) {
        return { ok: false, error: error.message };
      }
      throw error;
    }
    return { ok: true, runId };
  });
}
