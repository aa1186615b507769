import { serve, type WorkflowContext, WorkflowNonRetryableError } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, type TestStack, waitFor } from "./support/stack";

// context.sleepUntil and trigger({ notBefore }) go through /v2/batch with Upstash-Not-Before; and what
// happens to a delivery that was in flight when its run ended.

const DAY_MS = 86_400_000;
let stack: TestStack;
const reached = new Map<string, string[]>();
const mark = (runId: string, what: string) => reached.set(runId, [...(reached.get(runId) ?? []), what]);

let sleepUntilUrl = "";
let parallelUrl = "";
let plainUrl = "";
let lateUrl = "";
/** Resolved when the late run's context.call callback reaches the app. */
let callbackArrived: () => void = () => {};
let callbackArrival = new Promise<void>((resolve) => {
  callbackArrived = resolve;
});

beforeAll(async () => {
  stack = await startStack();
  const nowSeconds = async () => Math.floor((await stack.clock()).now / 1000);

  sleepUntilUrl = stack.app.workflow("/wf/sleep-until", async (context: WorkflowContext) => {
    const wakeAt = await context.run("plan", async () => (await nowSeconds()) + 3 * 86_400);
    await context.sleepUntil("until-thursday", wakeAt);
    await context.run("after", () => mark(context.workflowRunId, "after"));
  });
  parallelUrl = stack.app.workflow("/wf/sleep-until-parallel", async (context: WorkflowContext) => {
    const base = await context.run("plan", nowSeconds);
    await Promise.all([
      context.sleepUntil("one-day", base + 86_400),
      context.sleepUntil("two-days", new Date((base + 2 * 86_400) * 1000)),
    ]);
    await context.run("after", () => mark(context.workflowRunId, "after"));
  });
  plainUrl = stack.app.workflow("/wf/plain", async (context: WorkflowContext) => {
    await context.run("only", () => mark(context.workflowRunId, "only"));
  });

  // A parallel group: a context.call whose callback is held until the sibling has failed the run.
  const { handler } = serve(
    async (context: WorkflowContext) => {
      await Promise.all([
        context.call("call", { url: stack.thirdParty(200) }),
        context.run("fail-the-run", async () => {
          await callbackArrival;
          throw new WorkflowNonRetryableError("the sibling fails the run");
        }),
      ]);
      await context.run("never", () => mark(context.workflowRunId, "never"));
    },
    { qstashClient: stack.app.qstashClient, receiver: stack.app.receiver },
  );
  lateUrl = stack.app.route("/wf/late-callback", async (request) => {
    const runId = request.headers.get("upstash-workflow-runid") ?? "";
    if (request.headers.get("upstash-workflow-callback") !== null) {
      callbackArrived();
      await waitFor(async () => (await stack.runState(runId)) === "RUN_FAILED", { what: "the run to fail" });
    }
    return handler(request);
  });
});

afterAll(async () => {
  await stack?.close();
});

describe.sequential("sleepUntil and notBefore", () => {
  it("sleeps until the instant on the virtual clock, then continues", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: sleepUntilUrl });
    await stack.waitForIdle();
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");
    expect(reached.get(workflowRunId)).toBeUndefined();

    await stack.advance(3 * DAY_MS - 60_000);
    expect(reached.get(workflowRunId)).toBeUndefined();
    await stack.advance(120_000);
    expect(reached.get(workflowRunId)).toEqual(["after"]);
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
    expectAllVerified(stack.app);
  });

  it("sleeps in parallel until two instants (plan steps carry their not-before)", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: parallelUrl });
    await stack.waitForIdle();
    await stack.advance(DAY_MS + 60_000);
    expect(reached.get(workflowRunId)).toBeUndefined();
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");
    await stack.advance(DAY_MS);
    expect(reached.get(workflowRunId)).toEqual(["after"]);
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });

  it("starts a run triggered with notBefore only when the clock gets there", async () => {
    const notBefore = Math.floor((await stack.clock()).now / 1000) + 3600;
    const { workflowRunId } = await stack.client.trigger({ url: plainUrl, notBefore });
    await stack.waitForIdle();
    expect(stack.app.deliveriesOf(workflowRunId)).toHaveLength(0);
    await stack.advance(3600_000 + 1_000);
    expect(reached.get(workflowRunId)).toEqual(["only"]);
  });

  it("rejects a not-before beyond the maximum delay with a 400 naming the header", async () => {
    const notBefore = Math.floor((await stack.clock()).now / 1000) + 400 * 86_400;
    await expect(stack.client.trigger({ url: plainUrl, notBefore })).rejects.toThrow(/Upstash-Not-Before/);
  });
});

describe.sequential("a delivery in flight when its run ended", () => {
  it("is not retried and lands nowhere: no second delivery, no DLQ entry of its own", async () => {
    callbackArrival = new Promise<void>((resolve) => {
      callbackArrived = resolve;
    });
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: lateUrl, retries: 2 });
    await waitFor(async () => (await stack.runState(workflowRunId)) === "RUN_FAILED", {
      what: "the run to fail",
    });
    await stack.waitForIdle();
    await stack.advance(DAY_MS);

    const callbacks = stack.app
      .deliveriesOf(workflowRunId)
      .filter((d) => d.headers.get("upstash-workflow-callback") !== null);
    // The SDK could not append the call's result (400 "can not append to a a cancelled workflow") and
    // answered 500; hosted QStash does not retry a finished run's messages, so neither does the stand-in.
    expect(callbacks.map((c) => c.status)).toEqual([500]);
    expect(reached.get(workflowRunId)).toBeUndefined();
    const delta = await stack.statsSince(before);
    expect(delta.retried).toBe(0);

    const { messages } = await stack.client.dlq.list();
    expect(messages.filter((m) => m.workflowRunId === workflowRunId)).toHaveLength(1);
    const callbackId = callbacks[0]?.headers.get("upstash-message-id") ?? "";
    const { logs } = await stack.qstashClient.logs({ filter: { messageId: callbackId } });
    expect(logs.map((l) => l.state)).toContain("CANCELLED");
    expect(logs.map((l) => l.state)).not.toContain("RETRY");
  });
});
