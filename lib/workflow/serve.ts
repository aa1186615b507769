import type { Client as QStashClient, Receiver } from "@upstash/qstash";
import { type WorkflowContext, WorkflowError, WorkflowNonRetryableError } from "@upstash/workflow";
import { createWorkflow, serveMany } from "@upstash/workflow/nextjs";
import type { ClaimCheck } from "../claim-check/claim-check";
import { ValidationError } from "../errors";
import { boundedId, isUrlSafeId, toUrlSafePart, URL_SAFE_ID_RULE } from "../ids";
import { errorText } from "../runs/error-text";
import { keyBuilder } from "../runs/keys";
import type { IncompatibleStep } from "../runs/store";
import { parseTags, TAGS_HEADER } from "../runs/tags";
import { publishRunTasks } from "../runs/tasks";
import {
  DEFAULT_STEP_RETRIES,
  PARENT_RUN_HEADER,
  RETRIES_HEADER,
  type RunTracker,
  SOURCE_HEADER,
  type StepKind,
} from "../runs/tracking";
import type { AnyWorkflow, InvokeOptions, InvokeResult, WorkflowDefinition } from "./define";
import type { Registry } from "./registry";
import type { RunServices } from "./services";

export interface ServeConfig {
  registry: Registry;
  tracker: RunTracker;
  qstashClient: QStashClient;
  /** Verifies every request comes from QStash; `undefined` only when verification was explicitly skipped. */
  receiver: Receiver | undefined;
  /** Public base URL QStash calls back (replaces the request's origin). */
  baseUrl?: string;
  /** Handed to every handler (the AI layer uses them). */
  services: RunServices;
  /** Stores large step results in Redis; omitted = results go into the history as they are. */
  claimCheck?: ClaimCheck;
  /** Forwarded on every invoke, so the child run's deliveries carry them too (see OvertimeConfig). */
  deliveryHeaders?: Record<string, string>;
}

/**
 * One handler for every workflow in the registry (`serveMany`): `POST <basePath>/<workflow name>`.
 * It accepts a standard Request, so the Next.js route and the test harness serve the same code.
 */
export function createWorkflowEndpoint(config: ServeConfig): (request: Request) => Promise<Response> {
  const workflows: Invokables = {};
  for (const definition of config.registry.list()) {
    workflows[definition.name] = invokable(definition, config, workflows);
  }
  const { POST } = serveMany(workflows);
  return config.tracker.wrapEndpoint(POST);
}

/** The served workflows by name, as `context.invoke` needs them (filled in once, then read only). */
type Invokables = Record<string, ReturnType<typeof createWorkflow<unknown, unknown>>>;

function invokable(definition: AnyWorkflow, config: ServeConfig, workflows: Invokables) {
  const { tracker } = config;
  return createWorkflow(routeFunction(definition, config, workflows), {
    qstashClient: config.qstashClient,
    receiver: config.receiver,
    baseUrl: config.baseUrl,
    // Never read process.env: everything the SDK needs is passed explicitly.
    env: {},
    disableTelemetry: true,
    middlewares: [tracker.middleware(definition.name)],
    failureFunction: async ({ context, failStatus, failResponse, failHeaders }) => {
      const runId = context.workflowRunId;
      const message = errorText(failureMessage(failResponse));
      const step = await tracker.failedStep(runId, headerValue(failHeaders, ERROR_STEP_HEADER));
      tracker.failRun(definition.name, runId, { message, ...(step && { step }) });
      await definition.onFailure?.({
        runId,
        input: context.requestPayload,
        status: failStatus,
        message,
        ...(step && { step }),
      });
    },
  });
}

function routeFunction(definition: AnyWorkflow, config: ServeConfig, workflows: Invokables) {
  const { tracker } = config;
  return async (context: WorkflowContext<unknown>) => {
    const runId = context.workflowRunId;
    // The SDK first runs the route function on a disabled context, up to its first step, to check the
    // request (every delivery, including a context.call callback, whose payload is the call's envelope
    // under a made-up run id). Nothing may be recorded then: the real run comes after.
    const dryRun = (context as { disabled?: unknown }).disabled === true;
    const parsed = definition.input.safeParse(context.requestPayload);
    if (!parsed.success) {
      const message = ValidationError.fromZod(parsed.error, "input").message;
      if (!dryRun) tracker.failRun(definition.name, runId, { message });
      throw new WorkflowNonRetryableError(message);
    }
    const observed = dryRun ? context : observeSteps(context, tracker, config.claimCheck);
    const parent = {
      context: observed,
      runId,
      workflows,
      childIds: new Map<string, number>(),
      deliveryHeaders: config.deliveryHeaders ?? {},
    };
    try {
      const output = await definition.handler({
        context: observed,
        input: parsed.data,
        runId,
        log: (message) => {
          if (!dryRun) tracker.log(runId, message);
        },
        services: config.services,
        redis: config.services.store.redis,
        key: keyBuilder(config.services.store.keys.prefix),
        tasks: {
          publish: (tasks) =>
            publishRunTasks(config.services.store.redis, runId, tasks, {
              prefix: config.services.store.keys.prefix,
              ttlSeconds: config.services.store.ttlSeconds,
            }),
        },
        invoke: (stepName, workflow, input, options = {}) =>
          invokeChild(parent, { stepName, workflow, input, options }),
      });
      return definition.output ? definition.output.parse(output) : output;
    } catch (error) {
      throw dryRun ? error : failureFor(error, definition.name, runId, tracker);
    }
  };
}

interface ChildRequest<TInput, TOutput> {
  stepName: string;
  workflow: WorkflowDefinition<TInput, TOutput>;
  input: TInput;
  options: InvokeOptions;
}

/** `invoke` of the handler arguments: `context.invoke` with the child's schema, retries and flow control. */
async function invokeChild<TInput, TOutput>(
  parent: {
    context: WorkflowContext<unknown>;
    runId: string;
    workflows: Invokables;
    /** Default child ids handed out in this execution of the handler (replays hand out the same). */
    childIds: Map<string, number>;
    deliveryHeaders: Record<string, string>;
  },
  { stepName, workflow, input, options }: ChildRequest<TInput, TOutput>,
): Promise<InvokeResult<TOutput>> {
  const child = parent.workflows[workflow.name];
  if (!child) {
    throw new WorkflowNonRetryableError(
      `invoke "${stepName}": workflow "${workflow.name}" is not served by this app; add it to the registry.`,
    );
  }
  const parsed = workflow.input.safeParse(input);
  if (!parsed.success) {
    const problem = ValidationError.fromZod(parsed.error, "input").message;
    throw new WorkflowNonRetryableError(`invoke "${stepName}" of "${workflow.name}": ${problem}`);
  }
  const retries = options.retries ?? workflow.retries;
  let tags: string | undefined;
  try {
    tags = options.tags && options.tags.length > 0 ? parseTags(options.tags).join(",") : undefined;
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new WorkflowNonRetryableError(`invoke "${stepName}" of "${workflow.name}": ${problem}`);
  }
  const response = await parent.context.invoke(stepName, {
    workflow: child,
    body: parsed.data as unknown,
    headers: {
      ...parent.deliveryHeaders,
      [SOURCE_HEADER]: "parent",
      [PARENT_RUN_HEADER]: parent.runId,
      [RETRIES_HEADER]: String(retries ?? DEFAULT_STEP_RETRIES),
      ...(tags && { [TAGS_HEADER]: tags }),
    },
    workflowRunId: options.runId?.replace(/^wfr_/, "") ?? nextChildRunId(parent, stepName),
    retries,
    retryDelay: workflow.retryDelay,
    flowControl: options.flowControl ?? workflow.flowControl,
  });
  if (response.isFailed) return { ok: false, status: "failed", error: response.body };
  if (response.isCanceled) return { ok: false, status: "canceled", error: response.body };
  return { ok: true, output: response.body as TOutput };
}

/**
 * A child's default run id (the SDK adds `wfr_`): derived from the parent and the step, so the parent's
 * dashboard can link it, and a redelivered invoke step names the same child (QStash ignores a second
 * trigger of an active run id) instead of starting another.
 */
export function childRunId(parentRunId: string, stepName: string): string {
  const parent = parentRunId.replace(/^wfr_/, "");
  // The SDK adds `wfr_`: the whole id stays within the URL-safe length however deep invokes nest.
  return boundedId(`${parent}:${toUrlSafePart(stepName)}`, 256 - "wfr_".length);
}

/** The default id for the next invoke: a step name used again (a loop) gets `-2`, `-3`, … in call order. */
function nextChildRunId(parent: { runId: string; childIds: Map<string, number> }, stepName: string): string {
  const base = childRunId(parent.runId, stepName);
  const uses = (parent.childIds.get(base) ?? 0) + 1;
  parent.childIds.set(base, uses);
  return uses === 1 ? base : `${base}-${uses}`;
}

/** Decides what a thrown error does to the run; step aborts (the SDK's control flow) pass through. */
function failureFor(error: unknown, workflow: string, runId: string, tracker: RunTracker): unknown {
  const incompatible = incompatibleStep(error);
  if (incompatible) {
    const what =
      incompatible.expected === "?"
        ? incompatible.found
        : `step "${incompatible.expected}" already ran, but the current code has "${incompatible.found}" there`;
    const message = `The workflow's code changed under this run: ${what}. Restart the run on the current code.`;
    tracker.failRun(workflow, runId, { message, step: incompatible.found }, { incompatible });
    return new WorkflowNonRetryableError(message);
  }
  if (error instanceof WorkflowNonRetryableError) {
    const raw = (error as { errorStepName?: string }).errorStepName;
    const step = raw && tracker.recordedName(raw);
    tracker.failRun(workflow, runId, { message: error.message, ...(step && { step }) });
  }
  return error;
}

const INCOMPATIBLE = /^Incompatible step (?:name|type)\. Expected '(.*)', got '(.*)' from the request/;

/** Recognizes the SDK's replay mismatch; `expected` is what the run's history has, `found` the current code. */
export function incompatibleStep(error: unknown): IncompatibleStep | undefined {
  if (!(error instanceof WorkflowError)) return undefined;
  const match = INCOMPATIBLE.exec(error.message);
  if (match) return { expected: match[2] as string, found: match[1] as string };
  // Parallel groups that changed shape ("Incompatible steps detected…", "Incompatible number of parallel steps…").
  if (/^Incompatible (step|number of parallel steps)/.test(error.message))
    return { expected: "?", found: error.message };
  return undefined;
}

/**
 * A view of the context that tells the tracker what kind of step each name is before the SDK runs it,
 * and, for `run` steps, passes large results through the claim check (the history keeps a ticket,
 * the workflow code gets the value).
 */
function observeSteps<T>(
  context: WorkflowContext<T>,
  tracker: RunTracker,
  claimCheck: ClaimCheck | undefined,
): WorkflowContext<T> {
  const parallel = new ParallelDetector(tracker);
  const runId = context.workflowRunId;
  return new Proxy(context, {
    get(target, property, _receiver) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const kindOf = STEP_KINDS[property as string];
      if (!kindOf) return value.bind(target);
      if (property === "run") {
        return (stepName: string, step: () => unknown) => {
          parallel.note(stepName);
          if (!claimCheck) return value.apply(target, [stepName, step]);
          const checked = async () => claimCheck.checkIn(runId, await step());
          return value
            .apply(target, [stepName, checked])
            .then((result: unknown) => claimCheck.resolve(runId, result));
        };
      }
      return (stepName: string, ...rawArgs: unknown[]) => {
        const args = guardStepArgs(property as string, stepName, rawArgs);
        tracker.noteStep(stepName, kindOf(args));
        return value.apply(target, [stepName, ...args]);
      };
    },
  });
}

/**
 * Values a workflow passes on to QStash URLs (often taken from its input): event ids and child run ids
 * must be URL-safe ids, and a `context.call` URL must be http(s); it is normalized so no `..` segment
 * can reach the QStash API path it is appended to. A bad value fails the run at once, naming the step.
 */
function guardStepArgs(method: string, stepName: string, args: unknown[]): unknown[] {
  const fail = (problem: string): never => {
    throw new WorkflowNonRetryableError(`${method} "${stepName}": ${problem}`);
  };
  const safeId = (field: string, value: unknown) => {
    if (typeof value !== "string" || !isUrlSafeId(value))
      fail(`invalid ${field} ${JSON.stringify(value)} (${URL_SAFE_ID_RULE})`);
  };
  if (method === "waitForEvent" || method === "notify") safeId("event id", args[0]);
  if (method === "invoke") {
    const id = (args[0] as { workflowRunId?: unknown } | undefined)?.workflowRunId;
    if (id !== undefined) safeId("workflowRunId", `wfr_${String(id)}`);
  }
  if (method === "call") {
    const settings = args[0] as { url?: unknown } | undefined;
    let url: URL | undefined;
    try {
      url = new URL(String(settings?.url));
    } catch {
      fail(`invalid url ${JSON.stringify(settings?.url)}`);
    }
    if (url && url.protocol !== "http:" && url.protocol !== "https:")
      fail(`url must be http(s), not ${url.protocol}`);
    return [{ ...settings, url: url?.href }, ...args.slice(1)];
  }
  return args;
}

/**
 * `run` steps started in the same tick run as one parallel group (that is how the SDK groups them
 * too); QStash bills one more message for each, so the tracker records them as parallel.
 */
class ParallelDetector {
  private batch: string[] = [];

  constructor(private readonly tracker: RunTracker) {}

  note(stepName: string): void {
    this.tracker.noteStep(stepName, { type: "run" });
    this.batch.push(stepName);
    if (this.batch.length > 1) return;
    queueMicrotask(() => {
      const group = this.batch;
      this.batch = [];
      if (group.length < 2) return;
      for (const name of group)
        this.tracker.reclassifyStep(name, { type: "run", detail: { parallel: true } });
    });
  }
}

const STEP_KINDS: Record<string, (args: unknown[]) => StepKind> = {
  run: () => ({ type: "run" }),
  sleep: ([duration]) => ({ type: "sleep", detail: { sleepingUntil: Date.now() + durationMs(duration) } }),
  sleepUntil: ([until]) => ({ type: "sleep", detail: { sleepingUntil: instantMs(until) } }),
  waitForEvent: ([eventId]) => ({ type: "wait", detail: { waitingFor: String(eventId) } }),
  waitForWebhook: () => ({ type: "wait" }),
  call: () => ({ type: "call" }),
  invoke: ([settings]) => {
    const id = (settings as { workflowRunId?: unknown } | undefined)?.workflowRunId;
    return { type: "invoke", ...(typeof id === "string" && { detail: { childRunId: `wfr_${id}` } }) };
  },
  notify: () => ({ type: "notify" }),
  createWebhook: () => ({ type: "webhook" }),
};

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationMs(duration: unknown): number {
  if (typeof duration === "number") return duration * 1_000;
  const match = /^(\d+)([smhd])$/.exec(String(duration));
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0) : 0;
}

function instantMs(until: unknown): number {
  if (until instanceof Date) return until.getTime();
  if (typeof until === "number") return until * 1_000;
  return Date.parse(String(until));
}

/** The response header the SDK names a failed step in; QStash hands the failure callback its headers. */
const ERROR_STEP_HEADER = "upstash-error-step-name";

function headerValue(headers: Record<string, string[]> | undefined, name: string): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1]?.[0] || undefined;
}

function failureMessage(failResponse: string): string {
  try {
    const parsed = JSON.parse(failResponse) as { message?: string };
    return parsed.message ?? failResponse;
  } catch {
    return failResponse;
  }
}
