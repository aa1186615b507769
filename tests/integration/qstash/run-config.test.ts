import type { WorkflowContext } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, sleep, startStack, type TestStack } from "./support/stack";

// Run-level configuration is given once, on the trigger, and must be re-applied by the server to
// every later delivery of the run: forwarded user headers, labels, retries/retry delay, flow control.

let stack: TestStack;
const urls = { everywhere: "", retries: "", throttled: "", unthrottled: "" };
const perDelivery = new Map<string, Array<{ tenant: string | null; labels: string[] }>>();
const attempts = new Map<string, number>();

beforeAll(async () => {
  stack = await startStack();
  const { app } = stack;
  urls.everywhere = app.workflow("/wf/everywhere", async (context: WorkflowContext) => {
    // Outside any step: runs on every delivery of the run.
    perDelivery.set(context.workflowRunId, [
      ...(perDelivery.get(context.workflowRunId) ?? []),
      { tenant: context.headers.get("x-tenant"), labels: context.labels },
    ]);
    await context.run("one", () => 1);
    await context.call("call", { url: stack.thirdParty(200) });
    await context.sleep("pause", 5);
    await Promise.all([context.run("p1", () => 1), context.run("p2", () => 2)]);
    await context.run("last", () => "done");
  });
  urls.retries = app.workflow("/wf/always-fails", async (context) => {
    await context.run("fine", () => "fine");
    await context.run("broken", () => {
      attempts.set(context.workflowRunId, (attempts.get(context.workflowRunId) ?? 0) + 1);
      throw new Error("never works");
    });
  });
  const slowFanOut = async (context: WorkflowContext) => {
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        context.run(`slow-${i}`, async () => {
          await sleep(60);
          return i;
        }),
      ),
    );
  };
  urls.throttled = app.workflow("/wf/throttled", slowFanOut);
  urls.unthrottled = app.workflow("/wf/unthrottled", slowFanOut);
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

const deliveriesOf = (runId: string) => stack.app.deliveriesOf(runId);

describe.sequential("run-level config", () => {
  it("forwards user headers and labels to every delivery (steps, callbacks, sleeps, parallel)", async () => {
    const { workflowRunId } = await stack.client.trigger({
      url: urls.everywhere,
      headers: { "x-tenant": "acme" },
      label: ["team-a", "batch-7"],
    });
    await stack.waitForIdle();
    await stack.advance(5_000);
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");

    const deliveries = deliveriesOf(workflowRunId);
    // trigger, one, callback, call result, pause, 2 plans, 2 results, last
    expect(deliveries.length).toBe(10);
    for (const d of deliveries) {
      expect(d.headers.get("x-tenant")).toBe("acme");
      expect(d.headers.get("upstash-label")).toBe("team-a,batch-7");
    }
    // (the route body also runs in the SDK's auth dry run, so there are more entries than deliveries)
    const seen = perDelivery.get(workflowRunId) ?? [];
    expect(seen.length).toBeGreaterThanOrEqual(deliveries.length);
    for (const s of seen) expect(s).toEqual({ tenant: "acme", labels: ["team-a", "batch-7"] });

    const run = await stack.getLogs(workflowRunId);
    expect(run?.labels).toEqual(["team-a", "batch-7"]);
    const { runs } = await stack.client.logs({ filter: { label: "batch-7" } });
    expect(runs.map((r) => r.workflowRunId)).toContain(workflowRunId);
  });

  it("applies the trigger's retries and retry delay to a later step", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({
      url: urls.retries,
      retries: 2,
      retryDelay: "10000",
    });
    await stack.waitForIdle();
    expect(attempts.get(workflowRunId)).toBe(1);

    // (the virtual clock also moves with real time, so keep a margin of a few seconds)
    await stack.advance(7_000);
    expect(attempts.get(workflowRunId)).toBe(1);
    await stack.advance(3_000);
    expect(attempts.get(workflowRunId)).toBe(2);
    await stack.advance(7_000);
    expect(attempts.get(workflowRunId)).toBe(2);
    await stack.advance(3_000);
    expect(attempts.get(workflowRunId)).toBe(3);
    expect(await stack.runState(workflowRunId)).toBe("RUN_FAILED");

    await stack.advance(3_600_000);
    expect(attempts.get(workflowRunId)).toBe(3);
    const retriedHeaders = deliveriesOf(workflowRunId)
      .filter((d) => d.status === 500)
      .map((d) => d.headers.get("upstash-retried"));
    expect(retriedHeaders).toEqual(["0", "1", "2"]);
    const delta = await stack.statsSince(before);
    expect(delta.retried).toBe(2);
  });

  it("applies the trigger's flow control (parallelism 1) to every step delivery", async () => {
    const throttled = await stack.client.trigger({
      url: urls.throttled,
      flowControl: { key: "one-at-a-time", parallelism: 1 },
    });
    const unthrottled = await stack.client.trigger({ url: urls.unthrottled });
    await stack.waitForIdle();

    expect(await stack.runState(throttled.workflowRunId)).toBe("RUN_SUCCESS");
    expect(await stack.runState(unthrottled.workflowRunId)).toBe("RUN_SUCCESS");
    expect(stack.app.maxConcurrency("/wf/throttled")).toBe(1);
    // Control: without flow control the plan deliveries overlap, as on hosted QStash.
    expect(stack.app.maxConcurrency("/wf/unthrottled")).toBeGreaterThan(1);
  });
});
