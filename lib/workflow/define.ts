import type { FlowControl } from "@upstash/qstash";
import type { Redis } from "@upstash/redis";
import type { WorkflowContext } from "@upstash/workflow";
import type { z } from "zod";
import { OvertimeError } from "../errors";
import type { KeyBuilder } from "../runs/keys";
import type { RunTask } from "../runs/tasks";
import type { RunServices } from "./services";

/** A cron schedule declared next to the workflow; `npm run schedules:sync` reconciles it with QStash. */
export interface ScheduleSpec<TInput> {
  /** Stable id within the workflow (part of the QStash schedule id). */
  id: string;
  cron: string;
  /** IANA timezone, e.g. "Europe/Berlin"; UTC when omitted. */
  timezone?: string;
  input: TInput;
  /** Tags every run it starts gets (lib/runs/tags.ts rules), sent to the app as the Overtime-Tags header. */
  tags?: string[];
}

export interface FailureInfo<TInput> {
  runId: string;
  input: TInput;
  status: number;
  message: string;
  step?: string;
}

/** How a child run ended, as `invoke` returns it. */
export type InvokeResult<TOutput> =
  | { ok: true; output: TOutput }
  | { ok: false; status: "failed" | "canceled"; error: unknown };

export interface InvokeOptions {
  /**
   * The child's run id without `wfr_` (default `<parent id>:<step name>`, `-2`, `-3`… when a step name is
   * invoked again). Use one id per child: QStash ignores a second trigger of an active run id.
   */
  runId?: string;
  /** QStash flow control for the child's steps: children sharing a key run at most `parallelism` steps at once. */
  flowControl?: FlowControl;
  /** QStash retries of the child's steps (default: the child workflow's own). */
  retries?: number;
  /** Tags of the child run (lib/runs/tags.ts rules). */
  tags?: string[];
}

export interface HandlerArgs<TInput> {
  /** The Upstash Workflow context: `context.run`, `sleep`, `waitForEvent`, `call`, ... */
  context: WorkflowContext<TInput>;
  /** The run's input, validated against the workflow's `input` schema. */
  input: TInput;
  runId: string;
  /** Appends a line to the run's event channel. Call it inside `context.run` to log once, not once per replay. */
  log(message: string): void;
  /** Toolkit services for libraries that run inside workflows (pass the whole argument to `runAgent`). */
  services: RunServices;
  /** The app's Upstash Redis (the one Overtime was created with). */
  redis: Redis;
  /**
   * A key for the workflow's own data under the app's configured key prefix:
   * `key("digest", threadId, "memory")` → `<prefix>:digest:<threadId>:memory` (parts URI-encoded).
   */
  key: KeyBuilder;
  /** The run's task list (shown by the run API and dashboard): creates or replaces these tasks. */
  tasks: { publish(tasks: RunTask[]): Promise<void> };
  /**
   * Starts another workflow of this app as a child run (a tracked run of its own, source `parent`) and
   * waits, durably and without a function running, until it finishes. The input is checked against the
   * child's schema first. A failed or canceled child does not throw: check `ok`.
   */
  invoke<TChildInput, TChildOutput>(
    stepName: string,
    workflow: WorkflowDefinition<TChildInput, TChildOutput>,
    input: TChildInput,
    options?: InvokeOptions,
  ): Promise<InvokeResult<TChildOutput>>;
}

export interface WorkflowDefinition<TInput = unknown, TOutput = unknown> {
  name: string;
  description?: string;
  input: z.ZodType<TInput>;
  output?: z.ZodType<TOutput>;
  schedules?: ScheduleSpec<TInput>[];
  /** QStash retries per step (default 3). */
  retries?: number;
  /** QStash retry delay expression, e.g. "1000 * pow(2, retried)". */
  retryDelay?: string;
  flowControl?: FlowControl;
  onFailure?(failure: FailureInfo<TInput>): Promise<void> | void;
  handler(args: HandlerArgs<TInput>): Promise<TOutput>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry mixes inputs; `unknown` breaks on the contravariant handler.
export type AnyWorkflow = WorkflowDefinition<any, any>;

/** Names end up in URLs, Redis keys and QStash schedule ids, so they stay boring. */
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class WorkflowDefinitionError extends OvertimeError {
  static override readonly code = "workflow_definition_invalid";
  constructor(message: string) {
    super(WorkflowDefinitionError.code, message);
  }
}

/** Declares a workflow; checks the parts that would otherwise fail late (name, schedule ids). */
export function defineWorkflow<TInput, TOutput>(
  definition: WorkflowDefinition<TInput, TOutput>,
): WorkflowDefinition<TInput, TOutput> {
  if (!NAME.test(definition.name)) {
    throw new WorkflowDefinitionError(
      `Workflow name ${JSON.stringify(definition.name)} must match ${NAME} (lower-case letters, digits, dashes).`,
    );
  }
  const scheduleIds = (definition.schedules ?? []).map((schedule) => schedule.id);
  const duplicate = scheduleIds.find((id, index) => scheduleIds.indexOf(id) !== index);
  if (duplicate) {
    throw new WorkflowDefinitionError(
      `Workflow "${definition.name}" declares schedule "${duplicate}" twice.`,
    );
  }
  return Object.freeze({ ...definition });
}
