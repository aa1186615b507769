import type { Client as QStashClient } from "@upstash/qstash";
import type { AnyWorkflow } from "../workflow/define";
import type { Registry } from "../workflow/registry";
import { type DesiredOptions, desiredSchedules, planSchedules, type SchedulePlan } from "./plan";
import { belongsTo, checkedScope, type ScheduleScope, ScheduleScopeError } from "./scope";

export interface SyncOptions extends DesiredOptions {
  workflows: Registry | readonly AnyWorkflow[];
  /** Only `schedules` is used (list, create, delete). */
  qstash: Pick<QStashClient, "schedules">;
  scope: ScheduleScope;
  /** Plan and report only; nothing is created, updated or deleted. */
  dryRun?: boolean;
}

export interface SyncFailure {
  scheduleId: string;
  action: "create" | "update" | "delete";
  message: string;
}

export interface SyncResult {
  plan: SchedulePlan;
  dryRun: boolean;
}

export class ScheduleSyncError extends Error {
  override name = "ScheduleSyncError";
  constructor(
    readonly plan: SchedulePlan,
    readonly failures: SyncFailure[],
  ) {
    super(
      `${failures.length} schedule change(s) failed:\n${failures
        .map((f) => `  - ${f.action} ${f.scheduleId}: ${f.message}`)
        .join("\n")}`,
    );
  }
}

export class ScheduleListError extends Error {
  override name = "ScheduleListError";
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${cause.message}${causeText(cause.cause)}` : String(cause);
    super(`Could not list QStash schedules (check QSTASH_URL and QSTASH_TOKEN): ${detail}`, { cause });
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? ` (${cause.message})` : "";
}

/**
 * Reconciles the workflows' declared schedules with QStash for one scope (environment + base URL):
 * creates missing ones, updates drifted ones, deletes the scope's undeclared ones. Schedules of other
 * scopes (foreign) and schedules not made by Overtime (external) are listed and never touched.
 * Every change is attempted; failures are collected and thrown together as a ScheduleSyncError.
 */
export async function syncSchedules(options: SyncOptions): Promise<SyncResult> {
  const scope = checkedScope(options.scope);
  const workflows = "list" in options.workflows ? options.workflows.list() : options.workflows;
  const desired = desiredSchedules(workflows, scope, options);
  const current = await options.qstash.schedules.list().catch((error: unknown) => {
    throw new ScheduleListError(error);
  });
  const plan = planSchedules(desired, current, scope);
  const dryRun = options.dryRun ?? false;
  if (dryRun) return { plan, dryRun };

  const failures: SyncFailure[] = [];
  const attempt = async (
    action: SyncFailure["action"],
    scheduleId: string,
    change: () => Promise<unknown>,
  ) => {
    try {
      assertOwned(scheduleId, scope);
      await change();
    } catch (error) {
      failures.push({ scheduleId, action, message: error instanceof Error ? error.message : String(error) });
    }
  };
  const { schedules } = options.qstash;
  // Creating with an existing schedule id replaces that schedule in place (QStash's update).
  for (const want of plan.create)
    await attempt("create", want.scheduleId, () => schedules.create(want.request));
  for (const { desired: want } of plan.update) {
    await attempt("update", want.scheduleId, () => schedules.create(want.request));
  }
  for (const stale of plan.delete) {
    await attempt("delete", stale.scheduleId, () => schedules.delete(stale.scheduleId));
  }
  if (failures.length > 0) throw new ScheduleSyncError(plan, failures);
  return { plan, dryRun };
}

/** Last line of defence: a write to an id outside the scope is a bug, never a sync. */
function assertOwned(scheduleId: string, scope: ScheduleScope): void {
  if (!belongsTo(scheduleId, scope)) {
    throw new ScheduleScopeError(`Schedule ${scheduleId} is not in this sync's scope; not touching it.`);
  }
}
