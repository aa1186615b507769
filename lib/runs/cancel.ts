import { ConflictError } from "../errors";
import { assertUrlSafeId } from "../ids";
import type { Overtime } from "../overtime";
import { TERMINAL_STATUSES } from "./keys";
import type { RunRecord } from "./store";

/** Cancels a run in QStash and records it; a finished run is a conflict. Shared by the API and the dashboard. */
export async function cancelRun(overtime: Pick<Overtime, "client" | "store">, run: RunRecord): Promise<void> {
  if (TERMINAL_STATUSES.includes(run.status))
    throw new ConflictError(`Run "${run.id}" already ${run.status}.`);
  await overtime.client.cancel({ ids: assertUrlSafeId("runId", run.id) });
  const { store } = overtime;
  await store.apply([
    store.updateRun(run.id, run.workflow, { status: "canceled", set: { finishedAt: Date.now() } }),
    store.emit(run.id, "run.status", { status: "canceled" }),
  ]);
}
