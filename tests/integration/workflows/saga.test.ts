import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createSagaWorkflow, sagaLedger } from "@/workflows/saga";

let t: TestStack;
const redis = () => t.overtime.config.redis;
/** Compensations to fail once right after their effect, to prove a retry does not undo twice. */
const failOnceAfter = new Set<string>();
/** Steps whose effect throws an ordinary (retryable) error on every attempt. */
const alwaysFail = new Set<string>();
const saga = createSagaWorkflow({
  redis,
  beforeApply(step) {
    if (alwaysFail.has(step)) throw new Error(`${step} is unavailable`);
  },
  afterCompensate(step) {
    if (failOnceAfter.delete(step)) throw new Error(`crashed after compensating ${step}`);
  },
});

beforeAll(async () => {
  t = await createTestStack({ workflows: [{ ...saga, retryDelay: "100" }] });
});
afterAll(async () => {
  await t?.stop();
});

describe("saga", () => {
  it("applies every step when none fails", async () => {
    const runId = await t.trigger("saga", { changeId: "ok-1" });
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", stepCount: 4 });
    expect(run.output).toEqual({
      outcome: "completed",
      completed: ["reserve-credits", "create-workspace", "grant-access", "activate-billing"],
    });
    expect((await sagaLedger(redis(), t.overtime.key, "ok-1")).log).toEqual([
      "applied:reserve-credits",
      "applied:create-workspace",
      "applied:grant-access",
      "applied:activate-billing",
    ]);
  });

  it("compensates steps 3, 2, 1 in reverse when step 4 fails, each once despite a retry", async () => {
    failOnceAfter.add("create-workspace");
    const runId = await t.trigger("saga", { changeId: "fail-4", failAt: 4 });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({
      outcome: "rolled-back",
      failedStep: "activate-billing",
      reason: "activate-billing was declined (simulated failure)",
      compensated: ["grant-access", "create-workspace", "reserve-credits"],
    });

    const { state, log } = await sagaLedger(redis(), t.overtime.key, "fail-4");
    expect(log).toEqual([
      "applied:reserve-credits",
      "applied:create-workspace",
      "applied:grant-access",
      "compensated:grant-access",
      "compensated:create-workspace",
      "compensated:reserve-credits",
    ]);
    expect(state).toEqual({
      "reserve-credits": "compensated",
      "create-workspace": "compensated",
      "grant-access": "compensated",
    });

    const { steps } = await t.getRun(runId);
    const attempts = Object.fromEntries(steps.map((s) => [s.name, [s.outcome, s.attempt]]));
    expect(attempts).toEqual({
      "reserve-credits": ["succeeded", 1],
      "create-workspace": ["succeeded", 1],
      "grant-access": ["succeeded", 1],
      "activate-billing": ["succeeded", 1],
      "compensate-grant-access": ["succeeded", 1],
      "compensate-create-workspace": ["succeeded", 2],
      "compensate-reserve-credits": ["succeeded", 1],
    });
    expect(failOnceAfter.size).toBe(0);
  });

  it("compensates only what ran when an earlier step fails", async () => {
    const runId = await t.trigger("saga", { changeId: "fail-2", failAt: 2 });
    const run = await t.waitForRun(runId);
    expect(run.output).toMatchObject({ failedStep: "create-workspace", compensated: ["reserve-credits"] });
    expect((await sagaLedger(redis(), t.overtime.key, "fail-2")).log).toEqual([
      "applied:reserve-credits",
      "compensated:reserve-credits",
    ]);
  });

  it("applies the change for real when the same changeId runs again after a rollback", async () => {
    const first = await t.waitForRun(await t.trigger("saga", { changeId: "again-1", failAt: 4 }));
    expect(first.output).toMatchObject({ outcome: "rolled-back" });

    const second = await t.waitForRun(await t.trigger("saga", { changeId: "again-1" }));
    expect(second.output).toMatchObject({ outcome: "completed" });
    const { state, log } = await sagaLedger(redis(), t.overtime.key, "again-1");
    // "completed" means every step is in effect, not that compensated steps were skipped as done.
    expect(state).toEqual({
      "reserve-credits": "applied",
      "create-workspace": "applied",
      "grant-access": "applied",
      "activate-billing": "applied",
    });
    expect(log.slice(6)).toEqual([
      "applied:reserve-credits",
      "applied:create-workspace",
      "applied:grant-access",
      "applied:activate-billing",
    ]);

    const third = await t.waitForRun(await t.trigger("saga", { changeId: "again-1" }));
    expect(third.output).toMatchObject({ outcome: "completed" });
    expect((await sagaLedger(redis(), t.overtime.key, "again-1")).log).toHaveLength(10); // nothing applied twice
  });

  it("compensates when a step's retries run out, not only on PermanentStepError", async () => {
    alwaysFail.add("grant-access");
    try {
      const runId = await t.trigger("saga", { changeId: "exhausted-1" });
      const run = await t.waitForRun(runId);
      expect(run.status).toBe("succeeded");
      expect(run.output).toEqual({
        outcome: "rolled-back",
        failedStep: "grant-access",
        reason: "grant-access is unavailable (retries exhausted after 4 attempts)",
        compensated: ["create-workspace", "reserve-credits"],
      });
      expect((await sagaLedger(redis(), t.overtime.key, "exhausted-1")).state).toEqual({
        "reserve-credits": "compensated",
        "create-workspace": "compensated",
      });
      const { steps } = await t.getRun(runId);
      expect(steps.find((step) => step.name === "grant-access")).toMatchObject({ attempt: 4 });
    } finally {
      alwaysFail.clear();
    }
  });
});
