import { type WorkflowContext, WorkflowNonRetryableError, WorkflowRetryAfterError } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, groupsOf, parseOut, startStack, stepsOf, type TestStack } from "./support/stack";

// Failure function / failureUrl, retries with backoff, 489 non-retryable, Retry-After, workflow DLQ.

let stack: TestStack;
const urls = { plain: "", fails: "", fatal: "", flaky: "", doomed: "", politely: "", dlq: "", sink: "" };
const failureCalls = new Map<string, unknown>();
const attempts = new Map<string, number[]>();
const bump = (key: string, retried: number) => attempts.set(key, [...(attempts.get(key) ?? []), retried]);
const stillBroken = new Set<string>();
const firstRuns = new Map<string, number>();

const recordFailure = async ({
  context,
  failStatus,
  failResponse,
}: {
  context: Pick<WorkflowContext, "workflowRunId" | "requestPayload" | "headers">;
  failStatus: number;
  failResponse: string;
}) => {
  failureCalls.set(context.workflowRunId, {
    payload: context.requestPayload,
    failStatus,
    failResponse,
    header: context.headers.get("x-user"),
  });
  return "handled";
};

beforeAll(async () => {
  stack = await startStack();
  const { app } = stack;
  urls.sink = app.route("/failure-sink", () => new Response("ok"));
  urls.plain = app.route("/not-a-workflow", () => new Response("just a plain endpoint"));
  urls.fails = app.workflow(
    "/wf/fails",
    async (context) => {
      await context.run("fine", () => "fine");
      await context.run("explode", () => {
        throw new Error("kaboom");
      });
    },
    { failureFunction: recordFailure },
  );
  urls.fatal = app.workflow(
    "/wf/fatal",
    async (context) => {
      await context.run("fine", () => "fine");
      await context.run("fatal", () => {
        bump(`fatal:${context.workflowRunId}`, context.retried);
        throw new WorkflowNonRetryableError("no point retrying");
      });
    },
    { failureFunction: recordFailure },
  );
  urls.flaky = app.workflow("/wf/flaky", async (context) => {
    await context.run("warmup", () => "warm");
    await context.run("flaky", () => {
      bump(`flaky:${context.workflowRunId}`, context.retried);
      if (context.retried === 0) throw new Error("first attempt fails");
      return context.retried;
    });
  });
  urls.doomed = app.workflow("/wf/doomed", async (context) => {
    await context.run("hopeless", () => {
      bump(`doomed:${context.workflowRunId}`, context.retried);
      throw new Error("always");
    });
  });
  urls.politely = app.workflow("/wf/retry-after", async (context) => {
    await context.run("polite", () => {
      bump(`polite:${context.workflowRunId}`, context.retried);
      if (context.retried === 0) throw new WorkflowRetryAfterError("come back later", 30);
      return "served";
    });
  });
  urls.dlq = app.workflow("/wf/dlq", async (context: WorkflowContext<{ key: string }>) => {
    const { key } = context.requestPayload;
    await context.run("first", () => firstRuns.set(key, (firstRuns.get(key) ?? 0) + 1));
    return await context.run("second", () => {
      if (stillBroken.has(key)) throw new Error(`still broken: ${key}`);
      return `fixed ${key}`;
    });
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

const deliveriesOf = (runId: string) => stack.app.deliveriesOf(runId);

describe.sequential("failures", () => {
  it("runs the failure function with the initial payload once retries are exhausted", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({
      url: urls.fails,
      body: { order: 7 },
      headers: { "x-user": "u-7" },
      retries: 0,
    });
    await stack.waitForIdle();

    expect(failureCalls.get(workflowRunId)).toEqual({
      payload: { order: 7 },
      failStatus: 500,
      failResponse: "kaboom",
      header: "u-7",
    });
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_FAILED");
    expect(run?.dlqId).toBeTruthy();
    expect(run?.failureFunction).toMatchObject({ state: "CALLBACK_SUCCESS", failStatus: 500 });
    const next = groupsOf(run).at(-1);
    expect(next?.type).toBe("next");
    expect(next?.steps[0]?.state).toBe("STEP_FAILED");
    expect(next?.steps[0]?.errors?.[0]?.status).toBe(500);

    const deliveries = deliveriesOf(workflowRunId);
    expect(deliveries.map((d) => d.status)).toEqual([200, 500, 200]);
    const failureDelivery = deliveries[2];
    expect(failureDelivery?.headers.get("upstash-workflow-failure-callback")).toBe("true");
    expect(failureDelivery?.headers.get("upstash-workflow-sdk-version")).toBeNull();

    const delta = await stack.statsSince(before);
    expect(delta["byKind.failure"]).toBe(1);
    expect(delta.retried).toBe(0);
    expect(delta.failed).toBeGreaterThanOrEqual(1);
  });

  it("gives the failure function an undefined payload when the run had none", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.fails, retries: 0 });
    await stack.waitForIdle();
    expect(failureCalls.get(workflowRunId)).toEqual({
      payload: undefined,
      failStatus: 500,
      failResponse: "kaboom",
      header: null,
    });
  });

  it("fails a run whose endpoint is not a workflow (2xx without the SDK version header)", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.plain, retries: 3 });
    await stack.waitForIdle();

    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_FAILED");
    const groups = groupsOf(run);
    expect(groups.map((g) => g.type)).toEqual(["sequential", "next"]);
    const next = groups[1]?.steps;
    expect(next).toHaveLength(1);
    expect(next?.[0]?.state).toBe("STEP_FAILED");
    expect(next?.[0]?.errors).toHaveLength(1);
    expect(next?.[0]?.errors?.[0]?.error).toContain("detected a non-workflow destination");
    expect(next?.[0]?.errors?.[0]?.body).toBe("just a plain endpoint");
    // one delivery of the trigger (no retries), then the failure callback to the same URL
    expect(deliveriesOf(workflowRunId)).toHaveLength(2);
  });

  it("posts the failure body to failureUrl instead when one is given", async () => {
    const { workflowRunId } = await stack.client.trigger({
      url: urls.fails,
      body: { order: 8 },
      headers: { "x-user": "u-8" },
      retries: 0,
      failureUrl: urls.sink,
    });
    await stack.waitForIdle();

    expect(failureCalls.has(workflowRunId)).toBe(false);
    const sunk = stack.app.received("/failure-sink");
    expect(sunk).toHaveLength(1);
    const delivery = sunk[0];
    expect(delivery?.headers.get("upstash-workflow-failure-callback")).toBe("true");
    expect(delivery?.headers.get("upstash-workflow-runid")).toBe(workflowRunId);
    expect(delivery?.headers.get("x-user")).toBe("u-8");
    const body = JSON.parse(delivery?.body ?? "{}") as Record<string, unknown>;
    expect(body).toMatchObject({ status: 500, workflowRunId, url: urls.fails });
    expect(Buffer.from(String(body.sourceBody), "base64").toString()).toBe('{"order":8}');
    expect(JSON.parse(Buffer.from(String(body.body), "base64").toString())).toMatchObject({
      message: "kaboom",
    });
    expect(typeof body.workflowCreatedAt).toBe("number");
    expect(body.dlqId).toBe((await stack.getLogs(workflowRunId))?.dlqId);
    expect(await stack.runState(workflowRunId)).toBe("RUN_FAILED");
  });

  it("retries a failing step after the default backoff (later than 10 s) and then succeeds", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: urls.flaky });
    await stack.waitForIdle();
    expect(attempts.get(`flaky:${workflowRunId}`)).toEqual([0]);
    const retrying = groupsOf(await stack.getLogs(workflowRunId)).at(-1);
    expect(retrying?.type).toBe("next");
    expect(retrying?.steps[0]?.state).toBe("STEP_RETRY");

    await stack.advance(10_000);
    expect(attempts.get(`flaky:${workflowRunId}`)).toEqual([0]);
    await stack.advance(5_000);
    expect(attempts.get(`flaky:${workflowRunId}`)).toEqual([0, 1]);

    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(parseOut(stepsOf(run).find((s) => s.stepName === "flaky")?.out)).toBe(1);
    const delta = await stack.statsSince(before);
    expect(delta.retried).toBe(1);
    expect(delta.failed).toBe(0);
  });

  it("exhausts the default 3 retries on the e^(2.5n) s backoff (12 s, 148 s, 1808 s), then fails", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.doomed });
    await stack.waitForIdle();
    const tries = () => attempts.get(`doomed:${workflowRunId}`);
    expect(tries()).toEqual([0]);
    for (const [quiet, fire, expected] of [
      [10_000, 5_000, [0, 1]],
      [140_000, 10_000, [0, 1, 2]],
      [1_790_000, 20_000, [0, 1, 2, 3]],
    ] as const) {
      await stack.advance(quiet);
      expect(tries()).toHaveLength(expected.length - 1);
      await stack.advance(fire);
      expect(tries()).toEqual(expected);
    }
    expect(await stack.runState(workflowRunId)).toBe("RUN_FAILED");
    await stack.advance(24 * 3_600_000);
    expect(tries()).toHaveLength(4);
  });

  it("fails immediately on WorkflowNonRetryableError (489): no retries, failure function runs", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: urls.fatal, body: "plain text", retries: 3 });
    await stack.waitForIdle();

    expect(attempts.get(`fatal:${workflowRunId}`)).toEqual([0]);
    expect(failureCalls.get(workflowRunId)).toEqual({
      payload: "plain text",
      failStatus: 489,
      failResponse: "no point retrying",
      header: null,
    });
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_FAILED");
    const next = groupsOf(run).at(-1);
    expect(next?.type).toBe("next");
    expect(next?.steps[0]?.state).toBe("STEP_FAILED");
    expect(next?.steps[0]?.errors?.[0]?.status).toBe(489);

    await stack.advance(3_600_000);
    expect(attempts.get(`fatal:${workflowRunId}`)).toEqual([0]);
    const delta = await stack.statsSince(before);
    expect(delta.retried).toBe(0);
    expect(delta["byKind.failure"]).toBe(1);
  });

  it("honours Retry-After from WorkflowRetryAfterError (429)", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.politely });
    await stack.waitForIdle();
    expect(attempts.get(`polite:${workflowRunId}`)).toEqual([0]);
    expect(deliveriesOf(workflowRunId).at(-1)?.status).toBe(429);

    // Retry-After: 30 (s) instead of the ~12 s default backoff
    await stack.advance(25_000);
    expect(attempts.get(`polite:${workflowRunId}`)).toEqual([0]);
    await stack.advance(5_000);
    expect(attempts.get(`polite:${workflowRunId}`)).toEqual([0, 1]);
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });
});

describe.sequential("workflow DLQ", () => {
  async function failedRun(key: string) {
    stillBroken.add(key);
    const { workflowRunId } = await stack.client.trigger({ url: urls.dlq, body: { key }, retries: 0 });
    await stack.waitForIdle();
    expect(await stack.runState(workflowRunId)).toBe("RUN_FAILED");
    const { messages } = await stack.client.dlq.list({ filter: { workflowRunId } });
    expect(messages).toHaveLength(1);
    const entry = messages[0];
    expect(entry).toMatchObject({ workflowRunId, workflowUrl: urls.dlq, responseStatus: 500 });
    stillBroken.delete(key);
    return entry?.dlqId ?? "";
  }

  it("lists a failed run and resumes it after the failed step", async () => {
    const dlqId = await failedRun("resume-me");
    expect(firstRuns.get("resume-me")).toBe(1);

    const { workflowRuns } = await stack.client.dlq.resume(dlqId);
    expect(workflowRuns).toHaveLength(1);
    const resumedId = workflowRuns[0]?.workflowRunId ?? "";
    await stack.waitForIdle();

    const run = await stack.getLogs(resumedId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(parseOut(run?.workflowRunResponse)).toBe("fixed resume-me");
    expect(firstRuns.get("resume-me")).toBe(1); // "first" was carried over, not re-run
  });

  it("restarts a failed run from the beginning", async () => {
    const dlqId = await failedRun("restart-me");
    const { workflowRuns } = await stack.client.dlq.restart(dlqId);
    const restartedId = workflowRuns[0]?.workflowRunId ?? "";
    await stack.waitForIdle();

    const run = await stack.getLogs(restartedId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(parseOut(run?.workflowRunResponse)).toBe("fixed restart-me");
    expect(firstRuns.get("restart-me")).toBe(2);
  });
});
