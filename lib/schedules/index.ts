export { formatPlan } from "./format";
export {
  type DesiredSchedule,
  desiredSchedules,
  planSchedules,
  SCHEDULE_LABEL,
  ScheduleDeclarationError,
  type SchedulePlan,
  scheduleLabels,
} from "./plan";
export {
  type ScheduleScope,
  ScheduleScopeError,
  type ScopeVariables,
  scheduleIdFor,
  scopeFromEnv,
  scopeTag,
} from "./scope";
export {
  ScheduleListError,
  ScheduleSyncError,
  type SyncOptions,
  type SyncResult,
  syncSchedules,
} from "./sync";
