import { AsyncLocalStorage } from "node:async_hooks";
import { type WorkflowContext, WorkflowMiddleware } from "@upstash/workflow";
import { isClaimTicket } from "../claim-check/claim-check";
import { errorText, withoutStack } from "./error-text";
import {
  type Op,
  type RunError,
  type RunPatch,
  type RunStore,
  type StepUsage,
  TRIGGER_SOURCES,
  type TriggerSource,
} from "./store";
import { TAGS_HEADER, tagsFromHeader } from "./tags";

/** What kind of step a name belongs to; learned by the context wrapper before the SDK runs the step. */
export interface StepKind {
  type: "run" | "sleep" | "wait" | "call" | "invoke" | "notify" | "webhook";
  detail?: { sleepingUntil?: number; waitingFor?: string; parallel?: boolean; childRunId?: string };
}

/** Reads the tokens a finished step spent from its result (model turns register one). */
export type UsageReader = (result: unknown) => StepUsage | undefined;

/** The writes one HTTP invocation of a workflow endpoint collects; sent as one pipeline. */
class Invocation {
  ops: Op[] = [];
  readonly stepKinds = new Map<string, StepKind>();
  readonly usageReaders = new Map<string, UsageReader>();
  requests = 0;
  runId: string | undefined;
  /** Commands sent outside the pipeline (budgets, claim check, ...), added to the run's count at flush. */
  extraCommands = 0;
  /** Step calls the workflow made so far (replayed ones included): the position of the step running now. */
  stepCalls = 0;
  /** Calls so far per step name: a name used again (a loop) is recorded as `name#2`, `name#3`, … */
  readonly nameUses = new Map<string, number>();
  /**
   * The "running again" update a finished step asks for. Sent with the next pipeline unless a write of
   * this invocation sets the status itself first (the next step starting, the run ending): one Lua
   * call per step saved.
   */
  runningAgain: Op | undefined;
  /**
   * The step that last finished in this invocation, until a run update carries it: its success makes an
   * error it left on the run stale (see UPDATE_RUN's recoveredStep).
   */
  recoveredStep: string | undefined;
  /** The pipeline sent last; the next one goes out after it, and the response waits for it. */
  sending: Promise<void> = Promise.resolve();
  /** Work the response waits for but the step's result does not (see `defer`). */
  readonly deferred: Array<Promise<unknown>> = [];
}

export const SOURCE_HEADER = "overtime-source";
export const RETRY_OF_HEADER = "overtime-retry-of";
/**
 * The QStash retries a run's steps get, set when the run starts; the SDK forwards it to every step, so
 * code inside a step knows whether a failure is its last attempt (QStash does not say).
 */
export const RETRIES_HEADER = "overtime-retries";
/** What QStash applies when a run sets no retries. */
export const DEFAULT_STEP_RETRIES = 3;
/** Whether QStash will not deliver this step again if it fails now (the run's retries travel in a header). */
export function isLastAttempt(context: { retried: number; headers: Headers }): boolean {
  const retries = Number(context.headers.get(RETRIES_HEADER) ?? DEFAULT_STEP_RETRIES);
  return context.retried >= (Number.isFinite(retries) ? retries : DEFAULT_STEP_RETRIES);
}
/** Set by `invoke` on a child run's first request: the run that started it. */
export const PARENT_RUN_HEADER = "overtime-parent-run";

/**
 * Records runs and steps from @upstash/workflow middleware callbacks.
 *
 * Cost: the writes of an invocation are queued and sent in ONE pipeline when a step is about to run
 * (or when the invocation ends). That pipeline is not awaited before the step: it travels while the
 * step and the SDK's publish to QStash do, and the response waits for it, so a serverless function is
 * never frozen with writes in flight. The next invocation can therefore land its writes first; run
 * updates carry the step's position (`seq`) and Redis ignores a stale one, step records are separate
 * fields per step, and events only tell viewers to re-read. Step results are written with HSETNX, so
 * replays and redeliveries record a step once.
 */
export class RunTracker {
  private readonly storage = new AsyncLocalStorage<Invocation>();
  /** Reads token usage from any finished step's result (set by the AI layer; see lib/ai/usage.ts). */
  readUsage: UsageReader | undefined;

  constructor(readonly store: RunStore) {}

  /** Wraps a workflow endpoint so everything recorded during one request shares one pipeline. */
  wrapEndpoint(handler: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
    return (request) =>
      this.storage.run(new Invocation(), async () => {
        try {
          return await withoutStack(await handler(request));
        } finally {
          this.flush();
          const invocation = this.storage.getStore();
          await Promise.all([invocation?.sending, ...(invocation?.deferred ?? [])]);
        }
      });
  }

  /** The middleware to install on a workflow's serve options. */
  middleware(workflow: string): WorkflowMiddleware {
    return new WorkflowMiddleware({
      name: "overtime-run-tracking",
      callbacks: {
        runStarted: ({ context }) => this.onRunStarted(workflow, context),
        beforeExecution: ({ stepName, context }) => this.onStepStarting(workflow, stepName, context),
        afterExecution: ({ stepName, result, context }) =>
          this.onStepFinished(workflow, stepName, result, context),
        runCompleted: ({ result, context }) => this.onRunCompleted(workflow, context.workflowRunId, result),
        onError: ({ error, workflowRunId }) => this.onError(workflow, workflowRunId, error),
      },
    });
  }

  /**
   * Lets `work` finish while the SDK publishes the step's result; the HTTP response waits for it (a
   * serverless function is never frozen with it in flight). False outside an endpoint: await it yourself.
   */
  defer(work: Promise<unknown>): boolean {
    const invocation = this.storage.getStore();
    if (!invocation) return false;
    invocation.deferred.push(work.catch(() => {}));
    return true;
  }

  /** Notes a step call and its kind for the current invocation (called by the context wrapper). */
  noteStep(name: string, kind: StepKind): void {
    const invocation = this.storage.getStore();
    if (!invocation) return;
    invocation.stepCalls++;
    invocation.nameUses.set(name, (invocation.nameUses.get(name) ?? 0) + 1);
    invocation.stepKinds.set(name, kind);
  }

  /** Corrects what a step call was noted as (e.g. once it turns out to be part of a parallel group). */
  reclassifyStep(name: string, kind: StepKind): void {
    this.storage.getStore()?.stepKinds.set(name, kind);
  }

  /** Tells the tracker how to read token usage from a step's result (recorded once, with the result). */
  noteUsage(name: string, reader: UsageReader): void {
    this.storage.getStore()?.usageReaders.set(name, reader);
  }

  /** Counts Redis commands sent for a run outside the tracking pipeline (written with the next flush). */
  countCommands(runId: string, commands: number): void {
    const invocation = this.storage.getStore();
    if (invocation && (invocation.runId ?? runId) === runId) {
      invocation.runId = runId;
      invocation.extraCommands += commands;
      return;
    }
    this.store.apply([this.store.countCommands(runId, commands + 1)]).catch(reportTrackingFailure);
  }

  /** Queues a write for the current invocation's pipeline (or writes at once outside one). */
  queueWrite(...ops: Op[]): void {
    this.queue(...ops);
  }

  log(runId: string, message: string): void {
    this.queue(this.store.emit(runId, "log", { message }));
  }

  /**
   * Marks a run failed for good (non-retryable error, incompatible code, failure callback), and the step
   * that failed, if one did. The first call wins: a failed run keeps its status and error.
   */
  failRun(workflow: string, runId: string, failure: RunError, extra: RunPatch["set"] = {}): void {
    const error: RunError = { ...failure, message: errorText(failure.message) };
    this.settingStatus();
    this.queue(
      ...(error.step ? [this.store.stepFailed(runId, error.step, error.message)] : []),
      this.store.updateRun(runId, workflow, {
        status: "failed",
        recoveredStep: this.takeRecoveredStep(),
        set: { finishedAt: Date.now(), error, ...extra },
      }),
      this.store.emit(runId, "run.status", { status: "failed", error }),
    );
  }

  /**
   * The step a failure callback is about. The SDK names it in a response header QStash passes on; the
   * record knows which call of a name used again (`poll#3`) it was.
   */
  async failedStep(runId: string, named: string | undefined): Promise<string | undefined> {
    const recorded = (await this.store.getRun(runId))?.error?.step;
    if (!named) return recorded;
    return recorded?.replace(/#\d+$/, "") === named ? recorded : named;
  }

  /** Requests sent by the current invocation so far (for tests and diagnostics). */
  get requestsInThisInvocation(): number {
    return this.storage.getStore()?.requests ?? 0;
  }

  private onRunStarted(workflow: string, context: WorkflowContext<unknown>) {
    const runId = context.workflowRunId;
    this.bindRun(runId);
    const source = context.headers.get(SOURCE_HEADER) as TriggerSource | null;
    const tags = tagsOf(context.headers.get(TAGS_HEADER));
    this.queue(
      this.store.updateRun(runId, workflow, {
        status: "running",
        seq: this.seq(),
        setOnce: {
          source: source && TRIGGER_SOURCES.includes(source) ? source : "api",
          // No createdAt from QStash (Upstash-Workflow-CreatedAt): every time in a record comes from
          // the app's clock, so durations never mix two clocks (the dev stand-in's is virtual).
          input: context.requestPayload,
          label: context.label,
          retryOf: context.headers.get(RETRY_OF_HEADER) ?? undefined,
          parentRunId: context.headers.get(PARENT_RUN_HEADER) ?? undefined,
          tags,
        },
      }),
      this.store.emit(runId, "run.status", { status: "running" }, { field: "run:started", value: "1" }),
      ...(tags ? [this.store.tagRun(runId, tags)] : []),
    );
  }

  private onStepStarting(workflow: string, stepName: string, context: WorkflowContext<unknown>) {
    const runId = context.workflowRunId;
    this.bindRun(runId);
    const kind = this.storage.getStore()?.stepKinds.get(stepName) ?? { type: "run" };
    const attempt = context.retried + 1;
    const status = kind.type === "sleep" ? "sleeping" : kind.type === "wait" ? "waiting" : "running";
    const step = this.recordedName(stepName);
    this.settingStatus();
    this.queue(
      this.store.stepStarted(runId, { name: step, type: kind.type, attempt, detail: kind.detail }),
      this.store.updateRun(runId, workflow, {
        status,
        seq: this.seq(),
        recoveredStep: this.takeRecoveredStep(),
        set: {
          currentStep: step,
          sleepingUntil: kind.detail?.sleepingUntil,
          waitingFor: kind.detail?.waitingFor,
        },
      }),
      this.store.emit(runId, "step.started", { step, type: kind.type, attempt, ...kind.detail }),
    );
    this.flush();
  }

  private onStepFinished(
    workflow: string,
    stepName: string,
    result: unknown,
    context: WorkflowContext<unknown>,
  ) {
    this.bindRun(context.workflowRunId);
    const invocation = this.storage.getStore();
    const usage = (invocation?.usageReaders.get(stepName) ?? this.readUsage)?.(result);
    const claimedBytes = isClaimTicket(result) ? result["overtime:claim"].bytes : undefined;
    const kind = invocation?.stepKinds.get(stepName);
    const timedOut = kind?.type === "wait" && (result as { timeout?: unknown } | null)?.timeout === true;
    const step = this.recordedName(stepName);
    this.queue(
      this.store.stepFinished(context.workflowRunId, step, result, { usage, claimedBytes, timedOut }),
    );
    const runningAgain = this.store.updateRun(context.workflowRunId, workflow, {
      status: "running",
      seq: this.seq(),
      recoveredStep: step,
    });
    if (!invocation) return this.queue(runningAgain);
    invocation.runningAgain = runningAgain;
    invocation.recoveredStep = step;
  }

  /**
   * A write that sets the run's status makes a pending "running again" update redundant; it carries
   * the recovered step instead (`takeRecoveredStep`).
   */
  private settingStatus(): void {
    const invocation = this.storage.getStore();
    if (invocation) invocation.runningAgain = undefined;
  }

  private takeRecoveredStep(): string | undefined {
    const invocation = this.storage.getStore();
    const step = invocation?.recoveredStep;
    if (invocation) invocation.recoveredStep = undefined;
    return step;
  }

  private onRunCompleted(workflow: string, runId: string, result: unknown) {
    this.bindRun(runId);
    this.settingStatus();
    this.queue(
      this.store.updateRun(runId, workflow, {
        status: "succeeded",
        // A run that succeeded has no error: any one recorded on the way was recovered from.
        set: { output: this.store.bounded(result), finishedAt: Date.now(), currentStep: null, error: null },
      }),
      this.store.emit(runId, "run.status", { status: "succeeded" }),
    );
  }

  private onError(workflow: string, runId: string | undefined, error: Error) {
    if (!runId || error instanceof TrackingError) return;
    this.bindRun(runId);
    const step = (error as { errorStepName?: unknown }).errorStepName;
    const stepName = typeof step === "string" ? this.recordedName(step) : undefined;
    const message = errorText(error);
    const runError: RunError = { message, ...(stepName && { step: stepName }) };
    this.queue(
      ...(stepName ? [this.store.stepFailed(runId, stepName, message)] : []),
      this.store.updateRun(runId, workflow, { set: { error: runError } }),
      this.store.emit(runId, "step.failed", { ...runError }),
    );
  }

  private queue(...ops: Op[]): void {
    const invocation = this.storage.getStore();
    if (invocation) {
      invocation.ops.push(...ops);
      return;
    }
    // Outside a wrapped endpoint (e.g. the middleware used on its own): write right away.
    this.store.apply(ops).catch(reportTrackingFailure);
  }

  /**
   * The name a step is recorded under: its own, or `name#n` for the n-th call of a name used again in
   * the run (a polling loop), so each call keeps its own record. Replays call steps in the same order,
   * so every invocation gives a call the same n. Members of a parallel group keep their plain name:
   * the SDK reports them after the whole group was called, when the count no longer tells them apart.
   */
  recordedName(stepName: string): string {
    const invocation = this.storage.getStore();
    if (invocation?.stepKinds.get(stepName)?.detail?.parallel) return stepName;
    const uses = invocation?.nameUses.get(stepName) ?? 1;
    return uses > 1 ? `${stepName}#${uses}` : stepName;
  }

  /** Remembers which run the current invocation serves, so its pipelines count their commands. */
  bindRun(runId: string): void {
    const invocation = this.storage.getStore();
    if (invocation) invocation.runId ??= runId;
  }

  /** Sends what is queued as one pipeline, after the invocation's previous one (never rejects). */
  private flush(): void {
    const invocation = this.storage.getStore();
    if (invocation?.runningAgain) {
      invocation.ops.push(invocation.runningAgain);
      invocation.runningAgain = undefined;
      invocation.recoveredStep = undefined;
    }
    if (!invocation || (invocation.ops.length === 0 && invocation.extraCommands === 0)) return;
    const ops = invocation.ops;
    const runId = invocation.runId;
    const countFor = runId ? { runId, extra: invocation.extraCommands } : undefined;
    invocation.ops = [];
    invocation.extraCommands = 0;
    invocation.requests++;
    invocation.sending = invocation.sending
      .then(() => this.store.apply(ops.length > 0 ? ops : [() => {}], countFor))
      .catch(reportTrackingFailure);
  }

  /**
   * The position of the step the current invocation is at, for `updateRun`'s stale-write guard (0 before
   * the first step: the run-started write, which must not undo a later step's status either).
   */
  private seq(): number | undefined {
    return this.storage.getStore()?.stepCalls;
  }
}

/** Tracking problems are reported, never allowed to fail the user's run. */
class TrackingError extends Error {
  override name = "TrackingError";
}

function reportTrackingFailure(error: unknown): void {
  console.error("[overtime] run tracking write failed:", new TrackingError(String(error)));
}

/** Tags an invoke forwarded (checked when sent; anything else is dropped, never failing the run). */
function tagsOf(header: string | null): string[] | undefined {
  if (!header) return undefined;
  try {
    return tagsFromHeader(header);
  } catch {
    return undefined;
  }
}
