import type { MessageLog, RawStep, RunRecord } from "./types";

type StepJson = Record<string, unknown> & {
  stepId?: number;
  stepName?: string;
  stepType?: string;
  concurrent?: number;
  targetStep?: number;
  out?: unknown;
};

interface ParallelGroup {
  type: "parallel";
  steps: Record<string, unknown>[];
  expected: number;
  plans: Map<number, { step: StepJson; messageId: string }>;
  fulfilled: Set<number>;
}

type Group = { type: "sequential" | "next"; steps: Record<string, unknown>[] } | ParallelGroup;

function decodeStep(entry: RawStep): StepJson | undefined {
  try {
    return JSON.parse(Buffer.from(entry.body, "base64").toString("utf8")) as StepJson;
  } catch {
    return undefined;
  }
}

const TYPE_FIELDS = [
  "sleepFor",
  "sleepUntil",
  "callUrl",
  "callMethod",
  "callHeaders",
  "callBody",
  "waitEventId",
  "waitTimeout",
  "waitTimeoutDeadline",
  "invokedWorkflowRunId",
  "invokedWorkflowUrl",
  "invokedWorkflowCreatedAt",
  "invokedWorkflowRunBody",
  "invokedWorkflowRunHeaders",
];

interface ViewContext {
  run: RunRecord;
  logs: Map<string, MessageLog>;
}

function stepLog(
  step: StepJson,
  messageId: string,
  log: MessageLog | undefined,
  state: string,
  context?: ViewContext,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    stepId: step.stepId,
    stepName: step.stepName,
    stepType: step.stepType,
    callType: "step",
    messageId,
    concurrent: step.concurrent ?? 1,
    state,
    createdAt: log?.createdAt,
    headers: log?.headers ?? {},
    retries: log?.retries ?? 0,
  };
  if (step.out !== undefined) view.out = step.out;
  if (log?.retryDelay) view.retryDelay = log.retryDelay;
  for (const field of TYPE_FIELDS) if (step[field] !== undefined) view[field] = step[field];
  if (step.stepType === "Wait" || step.stepType === "WaitForWebhook") {
    if (step.timeout !== undefined) view.waitTimeoutDuration = step.timeout;
  }
  if (step.stepType === "Call" && typeof step.out === "string") {
    try {
      const out = JSON.parse(step.out) as { status?: number; body?: unknown; header?: unknown };
      view.callResponseStatus = out.status;
      view.callResponseBody = out.body;
      view.callResponseHeaders = out.header;
    } catch {
      // keep as is
    }
  }
  if (step.stepType === "Call" && context) {
    const call = [...context.logs.values()]
      .filter((l) => l.call && l.stepId === step.stepId && l.stepName === step.stepName)
      .pop()?.call;
    if (call) {
      view.callUrl ??= call.url;
      view.callMethod ??= call.method;
      view.callHeaders ??= call.headers;
      view.callBody ??= call.body;
      if (call.responseStatus !== undefined) view.callResponseStatus = call.responseStatus;
      if (call.responseHeaders !== undefined) view.callResponseHeaders = call.responseHeaders;
      if (call.responseBody !== undefined) view.callResponseBody = call.responseBody;
    }
  }
  if (step.stepType === "Invoke" && context) {
    const invoked = context.run.invoked?.[String(step.stepId)];
    if (invoked) {
      view.invokedWorkflowRunId = invoked.workflowRunId;
      view.invokedWorkflowUrl = invoked.workflowUrl;
      view.invokedWorkflowCreatedAt = invoked.createdAt;
      view.invokedWorkflowRunBody = invoked.body;
      view.invokedWorkflowRunHeaders = invoked.headers;
    }
  }
  if (state !== "STEP_SUCCESS" && log) {
    if (log.errors.length > 0) view.errors = log.errors;
    if (log.nextDeliveryTime) view.nextDeliveryTime = log.nextDeliveryTime;
  }
  return view;
}

/** The grouped run view of `GET /v2/workflows/events?groupBy=workflowRunId`. */
export function runView(
  run: RunRecord,
  list: RawStep[],
  logs: Map<string, MessageLog>,
): Record<string, unknown> {
  const context: ViewContext = { run, logs };
  const groups: Group[] = [];
  const first = list[0];
  if (first) {
    const firstLog = logs.get(first.messageId);
    groups.push({
      type: "sequential",
      steps: [
        {
          stepId: 0,
          stepName: "init",
          stepType: "Initial",
          callType: "step",
          messageId: first.messageId,
          out: Buffer.from(run.initialBodyBase64, "base64").toString("utf8"),
          concurrent: 1,
          state: "STEP_SUCCESS",
          createdAt: run.createdAt,
          headers: firstLog?.headers ?? {},
          retries: firstLog?.retries ?? 0,
        },
      ],
    });
  }
  const parallel: ParallelGroup[] = [];
  const openGroup = (expected: number): ParallelGroup => {
    const last = parallel[parallel.length - 1];
    if (last && last.expected === expected && last.plans.size < expected) return last;
    const group: ParallelGroup = {
      type: "parallel",
      steps: [],
      expected,
      plans: new Map(),
      fulfilled: new Set(),
    };
    parallel.push(group);
    groups.push(group);
    return group;
  };
  const addResult = (step: StepJson, messageId: string) => {
    const concurrent = step.concurrent ?? 1;
    const log = logs.get(messageId);
    if (concurrent <= 1) {
      groups.push({ type: "sequential", steps: [stepLog(step, messageId, log, "STEP_SUCCESS", context)] });
      return;
    }
    const group =
      [...parallel]
        .reverse()
        .find((g) => g.plans.has(step.stepId ?? -1) && !g.fulfilled.has(step.stepId ?? -1)) ??
      openGroup(concurrent);
    group.fulfilled.add(step.stepId ?? -1);
    group.steps.push(stepLog(step, messageId, log, "STEP_SUCCESS", context));
  };

  let next: Record<string, unknown> | undefined;
  for (const entry of list.slice(1)) {
    if (entry.callType !== "step") continue;
    const step = decodeStep(entry);
    if (!step) continue;
    const log = logs.get(entry.messageId);
    if (step.targetStep !== undefined || step.stepId === 0) {
      openGroup(step.concurrent ?? 1).plans.set(step.targetStep ?? 0, { step, messageId: entry.messageId });
      continue;
    }
    addResult(step, entry.messageId);
    void log;
  }
  for (const late of run.lateInvokeResults ?? []) addResult(JSON.parse(late) as StepJson, "");

  // Plans whose branch did not produce a result show the branch's delivery state (failed, retrying, running).
  for (const group of parallel) {
    for (const [target, plan] of group.plans) {
      if (group.fulfilled.has(target)) continue;
      const log = logs.get(plan.messageId);
      const state = log?.state === "STEP_SUCCESS" ? "STEP_PROGRESS" : (log?.state ?? "STEP_PROGRESS");
      group.steps.push(
        stepLog({ ...plan.step, stepId: target, targetStep: undefined }, plan.messageId, log, state, context),
      );
    }
  }

  // The delivery that has not produced a step yet (running, retrying or failed).
  const planIds = new Set(parallel.flatMap((g) => [...g.plans.values()].map((p) => p.messageId)));
  for (const entry of [...list].reverse()) {
    if (entry.callType === "toCallback" || planIds.has(entry.messageId)) continue;
    const log = logs.get(entry.messageId);
    if (!log || log.state === "STEP_SUCCESS") continue;
    next = { messageId: entry.messageId, state: log.state, retries: log.retries };
    // The SDK names the step that threw in the `Upstash-Error-Step-Name` response header.
    const stepName = log.errors.at(-1)?.headers?.["Upstash-Error-Step-Name"]?.[0];
    if (stepName) next.stepName = stepName;
    if (log.retryDelay) next.retryDelay = log.retryDelay;
    if (log.nextDeliveryTime) next.nextDeliveryTime = log.nextDeliveryTime;
    if (log.errors.length > 0) next.errors = log.errors;
    break;
  }
  if (
    next &&
    !(run.state === "RUN_SUCCESS" || (run.state === "RUN_CANCELED" && next.state === "STEP_CANCELED"))
  ) {
    groups.push({ type: "next", steps: [next] });
  }

  const view: Record<string, unknown> = {
    workflowRunId: run.workflowRunId,
    workflowUrl: run.workflowUrl,
    workflowState: run.state,
    workflowRunCreatedAt: run.createdAt,
    workflowRunCallerIp: run.callerIp,
    steps: groups.map((g) => ({ type: g.type, steps: g.steps })),
  };
  if (run.completedAt !== undefined) view.workflowRunCompletedAt = run.completedAt;
  if (run.response !== undefined) view.workflowRunResponse = run.response;
  if (run.invoker) {
    view.invoker = {
      workflowRunId: run.invoker.workflowRunId,
      workflowUrl: run.invoker.workflowUrl,
      workflowRunCreatedAt: run.invoker.workflowRunCreatedAt,
    };
  }
  if (run.failureFunction) view.failureFunction = run.failureFunction;
  if (run.dlqId) view.dlqId = run.dlqId;
  if (run.labels.length > 0) {
    // Legacy `label` = the first label (SDK docs: "only contains the first one").
    view.label = run.labels[0];
    view.labels = run.labels;
  }
  if (run.config.flowControl) view.flowControlKey = run.config.flowControl.key;
  return view;
}
