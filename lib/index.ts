/**
 * Overtime: long-running, multi-step AI agent jobs in your own Next.js app, on Upstash Workflow, QStash
 * and Upstash Redis. A route never runs the job: it starts a run and answers with its id; QStash calls
 * the workflow endpoint once per step, and Redis keeps what the dashboard and API show.
 *
 * @example
 * ```ts
 * import { createOvertime, defineWorkflow } from "overtime";
 * import { Redis } from "@upstash/redis";
 * import { z } from "zod";
 *
 * export const hello = defineWorkflow({
 *   name: "hello",
 *   input: z.object({ name: z.string() }),
 *   async handler({ context, input }) {
 *     const greeting = await context.run("greet", () => `Hello, ${input.name}`);
 *     await context.sleep("pause", 60);
 *     return greeting;
 *   },
 * });
 *
 * export const overtime = createOvertime({
 *   workflows: [hello],
 *   redis: Redis.fromEnv(),
 *   qstash: { token: process.env.QSTASH_TOKEN! },
 *   signingKeys: { current: process.env.QSTASH_CURRENT_SIGNING_KEY!, next: process.env.QSTASH_NEXT_SIGNING_KEY! },
 *   baseUrl: "https://my-app.vercel.app",
 *   trigger: { secrets: { default: process.env.OVERTIME_TRIGGER_SECRET! } },
 * });
 * ```
 * Mount it with `overtime/next`; agents and budgets are in `overtime/ai`; the dashboard's server side in
 * `overtime/dashboard`; local stand-ins and a time-skipping test harness in the `overtime-dev` package.
 */
export * from "./errors";
export {
  ConflictError,
  type FieldIssue,
  HttpError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "./http/errors";
export {
  callerReadAccess,
  createRouter,
  type OvertimeRouter,
  publicReadAccess,
  type ReadAccess,
  type RouterOptions,
} from "./http/router";
export {
  assertOpaqueId,
  assertUrlSafeId,
  isUrlSafeId,
  OPAQUE_ID_RULE,
  URL_SAFE_ID,
  URL_SAFE_ID_RULE,
} from "./ids";
export {
  ConfigError,
  createOvertime,
  DEFAULT_WORKFLOWS_PATH,
  type Overtime,
  type OvertimeConfig,
  type OvertimeRuns,
  workflowEndpointUrl,
} from "./overtime";
export { RUN_EVENTS, type RunEventName } from "./runs/event-names";
export { type KeyBuilder, keyBuilder, RUN_STATUSES, type RunStatus, TERMINAL_STATUSES } from "./runs/keys";
export type { ReplayOptions } from "./runs/replay";
export type { RetryMode } from "./runs/retry";
export type {
  IncompatibleStep,
  RunError,
  RunPage,
  RunRecord,
  StepOutcome,
  StepRecord,
  StepUsage,
  TriggerSource,
} from "./runs/store";
export { InvalidCursorError, TRIGGER_SOURCES } from "./runs/store";
export { MAX_TAGS, parseTags, TAG_PATTERN, TAGS_HEADER } from "./runs/tags";
export { publishRunTasks, type RunTask, readRunTasks } from "./runs/tasks";
export { isLastAttempt } from "./runs/tracking";
export {
  type DesiredSchedule,
  desiredSchedules,
  formatPlan,
  planSchedules,
  ScheduleDeclarationError,
  type SchedulePlan,
  type ScheduleScope,
  ScheduleScopeError,
  ScheduleSyncError,
  scheduleIdFor,
  scopeFromEnv,
  scopeTag,
  syncSchedules,
} from "./schedules";
export {
  type LocalStack,
  localStackFile,
  readLocalStack,
  removeLocalStack,
  writeLocalStack,
} from "./schedules/local-stack";
export type { ScheduleChange } from "./schedules/plan";
export { storedJson, storedJsonOrText } from "./stored-json";
export { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./trigger/auth";
export {
  DEFAULT_MAX_DURATION_SECONDS,
  type DeploymentUrls,
  type DeployScheduleDecision,
  type DeploySchedulesSetting,
  deliveryHeadersFor,
  deploymentBaseUrl,
  deployScheduleDecision,
  PROTECTION_BYPASS_HEADER,
} from "./vercel";
export {
  type AnyWorkflow,
  defineWorkflow,
  type FailureInfo,
  type HandlerArgs,
  type InvokeOptions,
  type InvokeResult,
  type ScheduleSpec,
  type WorkflowDefinition,
} from "./workflow/define";
export { createRegistry, type Registry } from "./workflow/registry";
export type { RunServices } from "./workflow/services";
