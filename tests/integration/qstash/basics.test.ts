import type { WorkflowContext } from "@upstash/workflow";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  expectAllVerified,
  groupsOf,
  parseOut,
  startStack,
  stepsOf,
  TEST_CURRENT_KEY,
  type TestStack,
} from "./support/stack";

// Sequential steps, both adapters, a one-hour sleep, a 5-way parallel group and the REST trigger.

let stack: TestStack;
const executed = new Map<string, string[]>();
const note = (runId: string, what: string) => executed.set(runId, [...(executed.get(runId) ?? []), what]);
const urls = { generic: "", next: "", sleepy: "", parallel: "", rest: "" };
const seenByRest: Array<{ payload: unknown; header: string | null }> = [];

async function threeSteps(context: WorkflowContext<{ x: string }>) {
  const a = await context.run("step-1", () => {
    note(context.workflowRunId, "step-1");
    return `${context.requestPayload.x}-a`;
  });
  const b = await context.run("step-2", () => {
    note(context.workflowRunId, "step-2");
    return `${a}-b`;
  });
  const c = await context.run("step-3", () => {
    note(context.workflowRunId, "step-3");
    return `${b}-c`;
  });
  return c;
}

beforeAll(async () => {
  stack = await startStack();
  const { app } = stack;
  urls.generic = app.workflow("/wf/sequential", threeSteps);
  urls.next = app.nextWorkflow("/wf/sequential-next", threeSteps);
  urls.sleepy = app.workflow("/wf/sleepy", async (context) => {
    await context.run("before", () => note(context.workflowRunId, "before"));
    await context.sleep("nap", 3600);
    await context.run("after", () => note(context.workflowRunId, "after"));
    return "rested";
  });
  urls.parallel = app.workflow("/wf/parallel", async (context) => {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        context.run(`p${i}`, () => {
          note(context.workflowRunId, `p${i}`);
          return i * 10;
        }),
      ),
    );
    return results.reduce((a, b) => a + b, 0);
  });
  urls.rest = app.workflow("/wf/rest", async (context) => {
    await context.run("echo", () => {
      seenByRest.push({ payload: context.requestPayload, header: context.headers.get("x-rest") });
      return context.requestPayload;
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

describe.sequential("harness", () => {
  it("really verifies signatures: a forged delivery is rejected by the Receiver and the SDK", async () => {
    const sign = (key: string, bodyHash: string) =>
      new SignJWT({ body: bodyHash })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer("Upstash")
        .setSubject(urls.generic)
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(key));
    const forgeries = [await sign("sig_wrongKey", "x"), await sign(TEST_CURRENT_KEY, "not-the-body-hash")];
    for (const signature of forgeries) {
      const response = await fetch(urls.generic, {
        method: "POST",
        headers: {
          "upstash-signature": signature,
          "upstash-workflow-sdk-version": "1",
          "upstash-workflow-runid": "wfr_x",
        },
        body: "[]",
      });
      expect(response.status).toBe(500);
    }
    expect(stack.app.takeVerificationFailures()).toHaveLength(2);
  });
});

describe.sequential("basic runs", () => {
  for (const adapter of ["generic", "next"] as const) {
    it(`runs 3 sequential steps to RUN_SUCCESS (${adapter} serve)`, async () => {
      const before = await stack.stats();
      const { workflowRunId } = await stack.client.trigger({ url: urls[adapter], body: { x: "x" } });
      await stack.waitForIdle();

      expect(executed.get(workflowRunId)).toEqual(["step-1", "step-2", "step-3"]);
      const run = await stack.getLogs(workflowRunId);
      expect(run?.workflowState).toBe("RUN_SUCCESS");
      expect(run?.workflowUrl).toBe(urls[adapter]);
      expect(parseOut(run?.workflowRunResponse)).toBe("x-a-b-c");
      expect(run?.workflowRunCompletedAt).toBeGreaterThanOrEqual(run?.workflowRunCreatedAt ?? Number.NaN);

      // Grouped shape: init + one sequential group per step, nothing left in "next".
      const groups = groupsOf(run);
      expect(groups.map((g) => g.type)).toEqual(["sequential", "sequential", "sequential", "sequential"]);
      expect(groups[0]?.steps[0]).toMatchObject({
        stepName: "init",
        stepType: "Initial",
        state: "STEP_SUCCESS",
      });
      const named = groups.slice(1).map((g) => g.steps[0]);
      expect(
        named.map((s) => s && { id: s.stepId, name: s.stepName, type: s.stepType, state: s.state }),
      ).toEqual([
        { id: 1, name: "step-1", type: "Run", state: "STEP_SUCCESS" },
        { id: 2, name: "step-2", type: "Run", state: "STEP_SUCCESS" },
        { id: 3, name: "step-3", type: "Run", state: "STEP_SUCCESS" },
      ]);
      expect(named.map((s) => parseOut(s?.out))).toEqual(["x-a", "x-a-b", "x-a-b-c"]);

      // Trigger delivery + one delivery per recorded step; each a signed step delivery.
      const deliveries = deliveriesOf(workflowRunId);
      expect(deliveries).toHaveLength(4);
      for (const d of deliveries) {
        expect(d.headers.get("upstash-workflow-sdk-version")).toBe("1");
        expect(d.headers.get("upstash-retried")).toBe("0");
        expect(d.headers.get("user-agent")).toBe("Upstash-QStash");
        expect(d.status).toBe(200);
      }
      const messageIds = deliveries.map((d) => d.headers.get("upstash-message-id"));
      expect(new Set(messageIds).size).toBe(4);
      expect(messageIds.every(Boolean)).toBe(true);
      // Prefix rule: delivery k carries k entries (trigger + k-1 steps).
      expect(deliveries.map((d) => (JSON.parse(d.body) as unknown[]).length)).toEqual([1, 2, 3, 4]);

      const delta = await stack.statsSince(before);
      expect(delta["byKind.step"]).toBe(4);
      expect(delta.failed).toBe(0);
      expect(delta.retried).toBe(0);
    });
  }

  it("sleeps an hour of virtual time and only finishes once the clock is advanced", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.sleepy });
    await stack.waitForIdle();
    expect(executed.get(workflowRunId)).toEqual(["before"]);
    expect(deliveriesOf(workflowRunId)).toHaveLength(2);
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");

    const { now } = await stack.clock();
    const pending = await stack.pending();
    expect(pending.scheduled).toBeGreaterThanOrEqual(1);
    expect(pending.nextDueAt).toBeGreaterThanOrEqual(now + 3_590_000);
    expect(pending.nextDueAt).toBeLessThanOrEqual(now + 3_600_000);

    await stack.advance(59 * 60_000);
    expect(deliveriesOf(workflowRunId)).toHaveLength(2);
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");

    await stack.advance(60_000);
    expect(executed.get(workflowRunId)).toEqual(["before", "after"]);
    expect(deliveriesOf(workflowRunId)).toHaveLength(4);
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    const sleepStep = stepsOf(run).find((s) => s.stepName === "nap");
    expect(sleepStep).toMatchObject({ stepType: "SleepFor", sleepFor: 3600 });
  });

  it("runs 5 parallel steps with 1 + 5 + 5 deliveries", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: urls.parallel });
    await stack.waitForIdle();

    const done = executed.get(workflowRunId) ?? [];
    expect([...done].sort()).toEqual(["p1", "p2", "p3", "p4", "p5"]);
    // trigger (publishes 5 plans) + 5 plan deliveries (each runs one branch) + 5 result deliveries
    // (4 discarded, the one that completes the group returns and ends the run).
    expect(deliveriesOf(workflowRunId)).toHaveLength(1 + 5 + 5);
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(parseOut(run?.workflowRunResponse)).toBe(150);
    const parallel = groupsOf(run).find((g) => g.type === "parallel");
    expect(parallel?.steps).toHaveLength(5);
    expect(parallel?.steps.map((s) => s.stepName).sort()).toEqual(["p1", "p2", "p3", "p4", "p5"]);
    for (const s of parallel?.steps ?? []) expect(s).toMatchObject({ state: "STEP_SUCCESS", concurrent: 5 });

    const delta = await stack.statsSince(before);
    expect(delta["byKind.step"]).toBe(11);
    expect(delta.failed).toBe(0);
  });

  it("holds a delayed trigger until the clock reaches it; batch trigger starts several runs", async () => {
    const delayed = await stack.client.trigger({ url: urls.generic, body: { x: "late" }, delay: "10m" });
    const [first, second] = await stack.client.trigger([
      { url: urls.generic, body: { x: "b1" } },
      { url: urls.next, body: { x: "b2" } },
    ]);
    await stack.waitForIdle();
    expect(executed.get(delayed.workflowRunId)).toBeUndefined();
    expect(await stack.runState(first?.workflowRunId ?? "")).toBe("RUN_SUCCESS");
    expect(await stack.runState(second?.workflowRunId ?? "")).toBe("RUN_SUCCESS");

    await stack.advance(9 * 60_000);
    expect(executed.get(delayed.workflowRunId)).toBeUndefined();
    await stack.advance(60_000);
    expect(executed.get(delayed.workflowRunId)).toEqual(["step-1", "step-2", "step-3"]);
    expect(parseOut((await stack.getLogs(delayed.workflowRunId))?.workflowRunResponse)).toBe("late-a-b-c");
  });

  it("starts a run through the REST trigger endpoint with plain fetch", async () => {
    const response = await fetch(`${stack.qstash.url}/v2/trigger/${urls.rest}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.qstash.token}`,
        "content-type": "application/json",
        "upstash-forward-x-rest": "yes",
      },
      body: JSON.stringify({ via: "rest" }),
    });
    expect(response.status).toBe(200);
    const { workflowRunId, workflowCreatedAt } = (await response.json()) as {
      workflowRunId: string;
      workflowCreatedAt: number;
    };
    expect(workflowRunId).toMatch(/^wfr_/);
    expect(typeof workflowCreatedAt).toBe("number");
    await stack.waitForIdle();

    expect(seenByRest).toEqual([{ payload: { via: "rest" }, header: "yes" }]);
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(run?.workflowRunCreatedAt).toBe(workflowCreatedAt);
  });
});
