import type { Client as QStashClient } from "@upstash/qstash";
import { OvertimeError } from "../errors";
import type { AnyWorkflow } from "../workflow/define";
import type { Registry } from "../workflow/registry";
import {
  type DesiredOptions,
  desiredSchedules,
  type PlanOptions,
  planSchedules,
  type SchedulePlan,
} from "./plan";
import { belongsTo, checkedScope, parseOwnedId, type ScheduleScope, ScheduleScopeError } from "./scope";

export interface SyncOptions extends DesiredOptions, PlanOptions {
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

export class ScheduleSyncError extends OvertimeError {
  static override readonly code = "schedule_sync_failed";
  constructor(
    readonly plan: SchedulePlan,
    readonly failures: SyncFailure[],
  ) {
    super(
      ScheduleSyncError.code,
      `${failures.length} schedule change(s) failed:\n${failures
        .map((f) => `  - ${f.action} ${f.scheduleId}: ${f.message}`)
        .join("\n")}`,
    );
  }
}

export class ScheduleListError extends OvertimeError {
  static override readonly code = "schedule_list_failed";
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${cause.message}${causeText(cause.cause)}` : String(cause);
    super(
      ScheduleListError.code,
      `Could not list QStash schedules (check QSTASH_URL and QSTASH_TOKEN): ${detail}`,
    );
    this.cause = cause;
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? ` (${cause.message})` : "";
}

/**
 * Reconciles the workflows' declared schedules with QStash for one scope (environment + base URL):
 * creates missing ones, updates drifted ones, deletes the scope's undeclared ones. Schedules of other
 * scopes (foreign) and schedules not made by Overtime (external) are listed and never touched, except
 * that `pruneOtherUrls` deletes this environment's schedules at other base URLs (old previews).
 * Every change is attempted; failures are collected and thrown together as a ScheduleSyncError.
 */
export async function syncSchedules(options: SyncOptions): Promise<SyncResult> {
  const scope = checkedScope(options.scope);
  const workflows = "list" in options.workflows ? options.workflows.list() : options.workflows;
  const desired = desiredSchedules(workflows, scope, options);
  const current = await options.qstash.schedules.list().catch((error: unknown) => {
    throw new ScheduleListError(error);
  });
  const plan = planSchedules(desired, current, scope, { pruneOtherUrls: options.pruneOtherUrls });
  const dryRun = options.dryRun ?? false;
  if (dryRun) return { plan, dryRun };

  const failures: SyncFailure[] = [];
  const attempt = async (
    action: SyncFailure["action"],
    scheduleId: string,
    change: () => Promise<unknown>,
    allowed: (scheduleId: string, scope: ScheduleScope) => boolean = belongsTo,
  ) => {
    try {
      if (!allowed(scheduleId, scope)) {
        throw new ScheduleScopeError(`Schedule ${scheduleId} is not in this sync's scope; not touching it.`);
      }
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
  for (const old of plan.retire) {
    await attempt("delete", old.scheduleId, () => schedules.delete(old.scheduleId), sameEnvironment);
  }
  if (failures.length > 0) throw new ScheduleSyncError(plan, failures);
  return { plan, dryRun };
}

/** An Overtime schedule of the sync's environment, at any base URL (what `pruneOtherUrls` may delete). */
function sameEnvironment(scheduleId: string, scope: ScheduleScope): boolean {
  return parseOwnedId(scheduleId)?.environment === scope.environment;
}
