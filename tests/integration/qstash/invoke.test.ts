import { type WorkflowContext, WorkflowNonRetryableError } from "@upstash/workflow";
import { createWorkflow } from "@upstash/workflow/nextjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, stepsOf, type TestStack } from "./support/stack";

// context.invoke of child workflows served together with serveMany (Next.js adapter).

let stack: TestStack;
let parentUrl = "";
let cancelParentUrl = "";
const childSaw = new Map<string, { payload: unknown; header: string | null }>();
const parentSaw = new Map<string, unknown>();

const child = createWorkflow(async (context: WorkflowContext<{ n: number }>) => {
  const doubled = await context.run("double", () => {
    childSaw.set(context.workflowRunId, {
      payload: context.requestPayload,
      header: context.headers.get("x-from-parent"),
    });
    return context.requestPayload.n * 2;
  });
  return { doubled };
});

const failingChild = createWorkflow(async (context: WorkflowContext<{ n: number }>) => {
  await context.run("explode", () => {
    throw new WorkflowNonRetryableError("child gave up");
  });
});

const sleepyChild = createWorkflow(async (context: WorkflowContext) => {
  await context.sleep("forever", 86_400);
  return "woke up";
});

const waitsForSleepyChild = createWorkflow(async (context: WorkflowContext) => {
  const result = await context.invoke("invoke-sleepy", {
    workflow: sleepyChild,
    body: "nap",
    workflowRunId: `sleepy-child-of-${context.workflowRunId}`,
  });
  await context.run("record", () => {
    parentSaw.set(context.workflowRunId, {
      body: result.body,
      isFailed: result.isFailed,
      isCanceled: result.isCanceled,
    });
  });
});

const parent = createWorkflow(async (context: WorkflowContext) => {
  const ok = await context.invoke("invoke-child", {
    workflow: child,
    body: { n: 21 },
    headers: { "x-from-parent": "hello-child" },
    workflowRunId: `child-of-${context.workflowRunId}`,
  });
  const bad = await context.invoke("invoke-failing", {
    workflow: failingChild,
    body: { n: 1 },
    workflowRunId: `failing-child-of-${context.workflowRunId}`,
  });
  await context.run("record", () => {
    parentSaw.set(context.workflowRunId, {
      ok: { body: ok.body, isFailed: ok.isFailed, isCanceled: ok.isCanceled },
      bad: { body: bad.body, isFailed: bad.isFailed, isCanceled: bad.isCanceled },
    });
  });
});

beforeAll(async () => {
  stack = await startStack();
  const base = stack.app.nextServeMany("/many", {
    parent,
    child,
    failingChild,
    sleepyChild,
    waitsForSleepyChild,
  });
  parentUrl = `${base}/parent`;
  cancelParentUrl = `${base}/waitsForSleepyChild`;
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("context.invoke", () => {
  it("runs a succeeding and a failing child; the parent sees body / isFailed", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: parentUrl });
    await stack.waitForIdle();

    const childId = `wfr_child-of-${workflowRunId}`;
    const failingId = `wfr_failing-child-of-${workflowRunId}`;
    expect(childSaw.get(childId)).toEqual({ payload: { n: 21 }, header: "hello-child" });
    const childDeliveries = stack.app
      .received("/many/child")
      .filter((r) => r.headers.get("upstash-workflow-runid") === childId);
    expect(childDeliveries.length).toBe(2); // trigger + "double" result
    for (const d of childDeliveries) expect(d.headers.get("upstash-workflow-invoke-count")).toBe("1");
    expect(parentSaw.get(workflowRunId)).toEqual({
      ok: { body: { doubled: 42 }, isFailed: false, isCanceled: false },
      bad: { body: undefined, isFailed: true, isCanceled: false },
    });
    const parentRun = await stack.getLogs(workflowRunId);
    expect(parentRun?.workflowState).toBe("RUN_SUCCESS");
    expect.soft(stepsOf(parentRun).find((s) => s.stepName === "invoke-child")).toMatchObject({
      stepType: "Invoke",
      invokedWorkflowRunId: childId,
    });

    const childRun = await stack.getLogs(childId);
    expect(childRun?.workflowState).toBe("RUN_SUCCESS");
    expect(childRun?.workflowUrl).toBe(stack.app.at("/many/child"));
    expect(childRun?.invoker?.workflowRunId).toBe(workflowRunId);
    expect(await stack.runState(failingId)).toBe("RUN_FAILED");

    // the failing child was attempted once (non-retryable), then its failure callback ran
    const failingDeliveries = stack.app
      .received("/many/failingChild")
      .filter((r) => r.headers.get("upstash-workflow-runid") === failingId);
    expect(failingDeliveries.filter((r) => r.status === 489)).toHaveLength(1);
    const delta = await stack.statsSince(before);
    expect(delta.retried).toBe(0);
    expect(delta["byKind.failure"]).toBe(1); // the failing child's own failure callback
  });

  it("tells the parent isCanceled (and no body) when the invoked child is cancelled", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: cancelParentUrl });
    await stack.waitForIdle();
    const childId = `wfr_sleepy-child-of-${workflowRunId}`;
    expect(await stack.runState(childId)).toBe("RUN_STARTED");
    expect(parentSaw.get(workflowRunId)).toBeUndefined();

    expect(await stack.client.cancel(childId)).toEqual({ cancelled: 1 });
    await stack.waitForIdle();
    expect(parentSaw.get(workflowRunId)).toEqual({ body: undefined, isFailed: false, isCanceled: true });
    // The result step the stand-in appended for the parent carries no `body` key at all.
    const lastDelivery = stack.app
      .received("/many/waitsForSleepyChild")
      .filter((r) => r.headers.get("upstash-workflow-runid") === workflowRunId)
      .at(-1);
    const entries = JSON.parse(lastDelivery?.body ?? "[]") as Array<{ body: string }>;
    const steps = entries.slice(1).map((e) => JSON.parse(Buffer.from(e.body, "base64").toString()));
    const invokeResult = steps.find((s) => s.stepType === "Invoke" && s.out !== undefined);
    expect(JSON.parse(invokeResult?.out ?? "null")).toEqual({ isFailed: false, isCanceled: true });
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });
});
