export { formatPlan } from "./format";
export {
  type DesiredSchedule,
  desiredSchedules,
  planSchedules,
  ScheduleDeclarationError,
  type SchedulePlan,
} from "./plan";
export { type ScheduleScope, ScheduleScopeError, scheduleIdFor, scopeFromEnv, scopeTag } from "./scope";
export {
  ScheduleListError,
  ScheduleSyncError,
  type SyncOptions,
  type SyncResult,
  syncSchedules,
} from "./sync";
