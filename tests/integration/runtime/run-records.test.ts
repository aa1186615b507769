import { WorkflowNonRetryableError } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createDashboardHandlers } from "@/lib/http/dashboard";
import type { StepDetail } from "@/lib/runs/step-detail";
import { defineWorkflow, type FailureInfo } from "@/lib/workflow/define";

/** Run records tell the truth: what the dashboard and the API show is what happened. */

const SECRET = "test-secret-0123456789";
const failures: FailureInfo<unknown>[] = [];
/** Keys of `bulky` runs whose step fails (non-retryably) the first time. */
const failFirst = new Set<string>();
const seen = new Map<string, number>();
const count = (key: string) => {
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  return n;
};

const bulky = defineWorkflow({
  name: "bulky",
  input: z.object({ key: z.string(), blob: z.string() }),
  async handler({ context, input }) {
    return context.run("measure", () => {
      if (failFirst.delete(input.key)) throw new WorkflowNonRetryableError("declined once");
      return input.blob.length;
    });
  },
});

const patient = defineWorkflow({
  name: "patient",
  input: z.object({ id: z.string() }),
  async handler({ context, input }) {
    const { timeout } = await context.waitForEvent("approval", `patient-${input.id}`, { timeout: "1m" });
    return context.run("after", () => (timeout ? "gave up" : "approved"));
  },
});

const strict = defineWorkflow({
  name: "strict",
  input: z.object({ id: z.string() }),
  onFailure: (failure) => {
    failures.push(failure);
  },
  async handler({ context }) {
    await context.run("prepare", () => 1);
    return context.run("charge", () => {
      throw new WorkflowNonRetryableError("card declined");
    });
  },
});

const fragile = defineWorkflow({
  name: "fragile",
  input: z.object({ id: z.string() }),
  retries: 1,
  retryDelay: "50",
  onFailure: (failure) => {
    failures.push(failure);
  },
  async handler({ context, input }) {
    return context.run("call-api", () => {
      throw new Error(`upstream 503 for ${input.id}`);
    });
  },
});

const recovering = defineWorkflow({
  name: "recovering",
  input: z.object({ id: z.string() }),
  retryDelay: "50",
  async handler({ context, input }) {
    await context.run("flaky", () => {
      if (count(`recovering-${input.id}`) < 2) throw new Error("transient failure");
      return "ok";
    });
    await context.sleep("rest", 3_600);
    return context.run("done", () => "done");
  },
});

const child = defineWorkflow({
  name: "child",
  input: z.object({ n: z.number() }),
  async handler({ context, input }) {
    return context.run("square", () => input.n * input.n);
  },
});

const parent = defineWorkflow({
  name: "parent",
  input: z.object({ n: z.number() }),
  async handler({ context, input, invoke }) {
    const result = await invoke("compute", child, { n: input.n });
    return context.run("report", () => result);
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({
    workflows: [bulky, patient, strict, fragile, recovering, child, parent],
    triggerSecrets: { acme: SECRET },
  });
});
afterAll(async () => {
  await t?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${t.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function stepDetail(runId: string, step: string): Promise<StepDetail> {
  const request = new Request(`${t.url}/api/runs/${runId}/steps/${step}`);
  const response = await createDashboardHandlers(t.overtime).stepDetail(request, runId, step);
  expect(response.status).toBe(200);
  return (await response.json()) as StepDetail;
}

describe("run records", () => {
  it("keeps a large input whole for a restart; the record shows a preview", async () => {
    const blob = "x".repeat(20_000);
    failFirst.add("big-1");
    const runId = await t.trigger("bulky", { key: "big-1", blob });
    const failed = await t.waitForRun(runId);
    expect(failed.status).toBe("failed");
    expect(failed.input).toMatchObject({ truncated: true, bytes: expect.any(Number) });
    expect(JSON.stringify(failed.input).length).toBeLessThan(2_000);

    const response = await post(`/api/runs/${encodeURIComponent(runId)}/retry`, { mode: "restart" });
    expect(response.status).toBe(202);
    const restarted = (await response.json()) as { runId: string };
    const run = await t.waitForRun(restarted.runId);
    expect(run).toMatchObject({ status: "succeeded", output: 20_000, retryOf: runId });
    // The restarted run keeps the whole input too: it can be restarted again.
    expect(await t.overtime.store.fullInput(restarted.runId)).toEqual({
      found: true,
      input: { key: "big-1", blob },
    });
  });

  it("shows a wait that ran into its timeout as timed-out, not succeeded", async () => {
    const runId = await t.trigger("patient", { id: "t-1" });
    await t.waitForRun(runId, { status: "waiting" });
    await t.advanceTime(61_000);
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", output: "gave up" });
    const { steps } = await t.getRun(runId);
    expect(steps.map((step) => [step.name, step.outcome])).toEqual([
      ["approval", "timed-out"],
      ["after", "succeeded"],
    ]);
  });

  it("marks a step that failed non-retryably failed, and names it to the failure handler", async () => {
    const runId = await t.trigger("strict", { id: "s-1" });
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "failed", error: { message: "card declined", step: "charge" } });
    const { steps } = await t.getRun(runId);
    expect(steps.find((step) => step.name === "charge")).toMatchObject({
      outcome: "failed",
      error: "card declined",
    });
    await t.waitForIdle();
    expect(failures.find((failure) => failure.runId === runId)).toMatchObject({
      message: "card declined",
      step: "charge",
    });
  });

  it("names the step to the failure handler when its retries run out", async () => {
    const runId = await t.trigger("fragile", { id: "f-1" });
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({
      status: "failed",
      error: { message: "upstream 503 for f-1", step: "call-api" },
    });
    await t.waitForIdle();
    expect(failures.find((failure) => failure.runId === runId)).toMatchObject({
      message: "upstream 503 for f-1",
      step: "call-api",
    });
    const { steps } = await t.getRun(runId);
    expect(steps).toEqual([expect.objectContaining({ name: "call-api", outcome: "failed", attempt: 2 })]);
  });

  it("shows step errors as their message per attempt: no stack trace, no server path", async () => {
    const runId = await t.trigger("fragile", { id: "f-2" });
    await t.waitForRun(runId);
    await t.waitForIdle();
    const detail = await stepDetail(runId, "call-api");
    expect(detail.errors.map(({ attempt, status, message }) => ({ attempt, status, message }))).toEqual([
      { attempt: 1, status: 500, message: "upstream 503 for f-2" },
      { attempt: 2, status: 500, message: "upstream 503 for f-2" },
    ]);
    const apiRun = await (
      await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}`, {
        headers: { authorization: `Bearer ${SECRET}` },
      })
    ).text();
    for (const body of [JSON.stringify(detail), apiRun]) {
      expect(body).not.toMatch(/\n\s+at |\\n\s+at /);
      expect(body).not.toContain(process.cwd());
    }
    // What the endpoint answered QStash (kept in its logs and DLQ) carries no stack either.
    const { runs } = await t.overtime.client.logs({ filter: { workflowRunId: runId } });
    expect(JSON.stringify(runs)).not.toContain(process.cwd());
  });

  it("drops the error of a run that recovered from a failed attempt", async () => {
    const runId = await t.trigger("recovering", { id: "r-1" });
    const sleeping = await t.waitForRun(runId, { status: "sleeping" });
    expect(sleeping.error).toBeUndefined();
    const { steps } = await t.getRun(runId);
    expect(steps.find((step) => step.name === "flaky")).toMatchObject({ outcome: "succeeded", attempt: 2 });
    await t.advanceTime(3_601_000);
    expect(await t.waitForRun(runId)).toMatchObject({ status: "succeeded", error: undefined });
  });

  it("uses one clock for a record's times, also after the virtual clock skipped ahead", async () => {
    await t.advanceTime(2 * 3_600_000);
    const parentId = await t.trigger("parent", { n: 7 });
    expect(await t.waitForRun(parentId)).toMatchObject({
      status: "succeeded",
      output: { ok: true, output: 49 },
    });
    const childId = `${parentId}:compute`;
    for (const runId of [parentId, childId]) {
      const { run, steps } = await t.getRun(runId);
      expect(run?.status).toBe("succeeded");
      const createdAt = run?.createdAt as number;
      expect(Math.abs(createdAt - Date.now())).toBeLessThan(60_000);
      expect(run?.finishedAt).toBeGreaterThanOrEqual(createdAt);
      for (const step of steps) {
        expect(step.startedAt).toBeGreaterThanOrEqual(createdAt);
        expect(step.durationMs).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
