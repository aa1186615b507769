import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createDashboardHandlers } from "@/lib/http/dashboard";
import { defineWorkflow } from "@/lib/workflow/define";

const attempts = new Map<string, number>();

const pipeline = defineWorkflow({
  name: "pipeline",
  input: z.object({ topic: z.string() }),
  retryDelay: "100",
  async handler({ context, input }) {
    const outline = await context.run("outline", () => `outline of ${input.topic}`);
    const [a, b] = await Promise.all([
      context.run("draft-a", () => `${outline} / a`),
      context.run("draft-b", () => `${outline} / b`),
    ]);
    await context.run("flaky", () => {
      const seen = (attempts.get(context.workflowRunId) ?? 0) + 1;
      attempts.set(context.workflowRunId, seen);
      if (seen < 2) throw new Error("transient failure");
      return seen;
    });
    await context.sleep("cool-down", 60);
    return { a, b };
  },
});

const steady = defineWorkflow({
  name: "steady",
  input: z.object({}),
  async handler({ context }) {
    await context.run("one", () => 1);
    await Promise.all([context.run("two-a", () => 2), context.run("two-b", () => 2)]);
    await context.sleep("pause", 5);
    return context.run("three", () => 3);
  },
});

const strict = defineWorkflow({
  name: "strict",
  input: z.object({ count: z.number().int() }),
  async handler({ context, input }) {
    return context.run("double", () => input.count * 2);
  },
});

/** Calls a real HTTP endpoint with context.call (the QStash stand-in's public clock). */
const caller = defineWorkflow({
  name: "caller",
  input: z.object({ note: z.string() }),
  async handler({ context }) {
    const response = await context.call<{ now: number }>("read-clock", {
      url: `${t.dev.env.QSTASH_URL}/__dev/clock`,
      method: "GET",
    });
    return { status: response.status };
  },
});

/** A polling loop: one step name, called three times. */
const poller = defineWorkflow({
  name: "poller",
  input: z.object({}),
  async handler({ context }) {
    const seen: number[] = [];
    for (let round = 1; round <= 3; round++) seen.push(await context.run("poll", () => round * 10));
    // One name twice in a parallel group: recorded under the plain name, as the SDK reports them together.
    const fanned = await Promise.all([context.run("fan", () => 1), context.run("fan", () => 2)]);
    return { seen, fanned };
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [pipeline, steady, strict, caller, poller] });
});
afterAll(async () => {
  await t?.stop();
});

describe("run tracking through the real SDKs", () => {
  it("records a run with sequential, parallel, retried and sleep steps once each", async () => {
    const runId = await t.trigger("pipeline", { topic: "otters" });
    const sleeping = await t.waitForRun(runId, { status: "sleeping" });
    expect(sleeping.currentStep).toBe("cool-down");
    await t.advanceTime(61_000);
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", workflow: "pipeline", source: "api", stepCount: 5 });
    expect(run.output).toEqual({ a: "outline of otters / a", b: "outline of otters / b" });
    expect(run.input).toEqual({ topic: "otters" });
    expect(run.finishedAt).toBeGreaterThanOrEqual(run.createdAt);

    const { steps } = await t.getRun(runId);
    expect(steps.map((s) => s.name).sort()).toEqual(["cool-down", "draft-a", "draft-b", "flaky", "outline"]);
    for (const step of steps) expect(step.outcome).toBe("succeeded");
    const flaky = steps.find((s) => s.name === "flaky");
    expect(flaky).toMatchObject({ attempt: 2, type: "run" });
    expect(steps.find((s) => s.name === "cool-down")?.type).toBe("sleep");
    expect(steps.find((s) => s.name === "outline")?.resultBytes).toBe(
      JSON.stringify("outline of otters").length,
    );

    const events = await t.overtime.store.eventsSince(runId);
    const finished = events.filter((e) => e.event === "step.finished").map((e) => e.data.step);
    expect(finished.sort()).toEqual(["cool-down", "draft-a", "draft-b", "flaky", "outline"]);
    expect(events.filter((e) => e.event === "step.failed")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ event: "run.status", data: { status: "succeeded" } });
  });

  it("costs at most one Redis request per step invocation", async () => {
    await t.waitForIdle();
    const before = { redis: await t.redisRequests(), invocations: t.invocations };
    const runId = await t.trigger("steady", {});
    await t.advanceTime(6_000); // waits for quiet before and after moving the clock
    const redis = (await t.redisRequests()) - before.redis;
    const invocations = t.invocations - before.invocations;
    const triggerWrites = 1;
    expect((await t.getRun(runId)).run?.status).toBe("succeeded");
    expect(redis - triggerWrites).toBeLessThanOrEqual(invocations);
    console.log(`[perf] steady: ${invocations} invocations, ${redis - triggerWrites} tracking requests`);
  });

  it("ignores a run update that arrives after a later step's (pipelines are not awaited before a step)", async () => {
    const { store } = t.overtime;
    const runId = "wfr_late-pipeline";
    await store.apply([
      store.updateRun(runId, "steady", { status: "sleeping", seq: 3, set: { currentStep: "pause" } }),
    ]);
    await store.apply([
      store.updateRun(runId, "steady", {
        status: "running",
        seq: 2,
        set: { currentStep: "two-a" },
        setOnce: { label: "kept" },
      }),
    ]);
    const run = await store.getRun(runId);
    expect(run).toMatchObject({ status: "sleeping", currentStep: "pause", label: "kept" });
    await store.apply([store.updateRun(runId, "steady", { status: "running", seq: 3 })]);
    expect((await store.getRun(runId))?.status).toBe("running");
  });

  it("records nothing for a context.call callback (the SDK's dry run sees it as a new run)", async () => {
    const runId = await t.trigger("caller", { note: "one run only" });
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", output: { status: 200 } });
    await t.waitForIdle();
    const { runs } = await t.overtime.store.listRuns({ workflow: "caller" });
    expect(runs.map((r) => r.id)).toEqual([runId]);
  });

  it("records each call of a step name used again (a loop) as its own step: poll, poll#2, poll#3", async () => {
    const runId = await t.trigger("poller", {});
    const run = await t.waitForRun(runId);
    expect(run.output).toEqual({ seen: [10, 20, 30], fanned: [1, 2] });
    const { steps } = await t.getRun(runId);
    expect(steps.map((s) => [s.name, s.outcome])).toEqual([
      ["poll", "succeeded"],
      ["poll#2", "succeeded"],
      ["poll#3", "succeeded"],
      ["fan", "succeeded"],
    ]);
    const detail = await createDashboardHandlers(t.overtime).stepDetail(
      new Request("http://x"),
      runId,
      "poll#2",
    );
    expect(await detail.json()).toMatchObject({ step: "poll#2", finished: true, output: 20 });
  });

  it("fails a run whose payload does not match the input schema, with the field errors", async () => {
    const { workflowRunId } = await t.overtime.client.trigger({
      url: t.overtime.workflowUrl("strict"),
      body: { count: "many" },
    });
    const run = await t.waitForRun(workflowRunId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain("count");
  });

  it("encodes run ids that contain ':' in keys and URLs", async () => {
    const runId = await t.trigger("strict", { count: 1 }, { runId: "customer:42:job" });
    expect(runId).toBe("wfr_customer:42:job");
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    const response = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { run: { id: string } };
    expect(body.run.id).toBe(runId);
  });
});
