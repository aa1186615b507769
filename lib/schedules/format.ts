import type { Schedule } from "@upstash/qstash";
import type { DesiredSchedule, ScheduleChange, SchedulePlan } from "./plan";
import { parseOwnedId } from "./scope";

/** The plan as a readable diff for the CLI: one line per schedule, then what was (or would be) done. */
export function formatPlan(plan: SchedulePlan, options: { dryRun: boolean }): string {
  const lines = [
    `Schedules for "${plan.scope.environment}" at ${plan.scope.baseUrl} (ids ${plan.tag}-*)`,
    ...plan.create.map((want) => `  + create     ${want.scheduleId}  ${describeDesired(want)}`),
    ...plan.update.flatMap(({ desired, changes }) => [
      `  ~ update     ${desired.scheduleId}`,
      ...changes.map((change) => `      ${describeChange(change)}`),
    ]),
    ...plan.delete.map(
      (stale) => `  - delete     ${stale.scheduleId}  (${stale.cron} → ${stale.destination})`,
    ),
    ...plan.retire.map(
      (old) =>
        `  - delete     ${old.scheduleId}  (other URL of "${plan.scope.environment}": ${old.destination})`,
    ),
    ...plan.unchanged.map(
      ({ desired, current }) =>
        `  = unchanged  ${desired.scheduleId}${current.isPaused ? "  (paused in QStash; left paused)" : ""}`,
    ),
  ];
  if (plan.foreign.length > 0) {
    lines.push("  Other environments / deployments (never touched):");
    lines.push(
      ...plan.foreign.map((schedule) => `    · ${schedule.scheduleId}  ${describeForeign(schedule)}`),
    );
  }
  if (plan.external.length > 0) {
    lines.push("  External, not made by Overtime (never touched):");
    lines.push(
      ...plan.external.map((schedule) => `    · ${schedule.scheduleId}  ${describeExternal(schedule)}`),
    );
  }
  lines.push(summary(plan, options.dryRun));
  return lines.join("\n");
}

function describeDesired(want: DesiredSchedule): string {
  return `${want.request.cron} → ${want.workflow} ${want.request.body}`;
}

function describeChange(change: ScheduleChange): string {
  return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

function describeForeign(schedule: Schedule): string {
  const owner = parseOwnedId(schedule.scheduleId);
  return `(${owner?.environment}, ${schedule.cron} → ${schedule.destination})`;
}

function describeExternal(schedule: Schedule): string {
  return `(${schedule.cron} → ${schedule.destination}${schedule.isPaused ? ", paused" : ""})`;
}

function show(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}

function summary(plan: SchedulePlan, dryRun: boolean): string {
  const deletions = plan.delete.length + plan.retire.length;
  const counts = `${plan.create.length} to create, ${plan.update.length} to update, ${deletions} to delete, ${plan.unchanged.length} unchanged`;
  if (dryRun) return `Dry run: ${counts}. Nothing was changed.`;
  const changed = plan.create.length + plan.update.length + deletions;
  return changed === 0
    ? "In sync: nothing to change."
    : `Done: ${plan.create.length} created, ${plan.update.length} updated, ${deletions} deleted.`;
}
