import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createGoalWorkflow } from "@/workflows/goal";

let t: TestStack;
const goal = createGoalWorkflow({
  redis: () => t.overtime.config.redis,
  model: () => t.openai("gpt-4o-mini"),
});

beforeAll(async () => {
  t = await createTestStack({ workflows: [goal] });
});
afterAll(async () => {
  await t?.stop();
});

// The dev model appends the quoted objective each attempt: 5 words per attempt.
const objective = "otters hold hands while sleeping";

describe("goal", () => {
  it("stops at the judge's first done, recording every verdict", async () => {
    const runId = await t.trigger("goal", { objective, targetWords: 10, maxRuns: 4 });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({
      outcome: "done",
      attempts: 2,
      verdicts: [
        { attempt: 1, done: false, score: 5, reason: "5 of 10 words" },
        { attempt: 2, done: true, score: 10, reason: "10 of 10 words" },
      ],
      draft: `${objective}\n${objective}`,
    });
    const names = (await t.getRun(runId)).steps.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["verdict-1", "verdict-2", "judge-2:turn-2"]));
    expect(names).not.toContain("attempt-3:turn-1");
  });

  it("gives up after maxRuns attempts", async () => {
    const runId = await t.trigger("goal", { objective, targetWords: 100, maxRuns: 2 });
    const run = await t.waitForRun(runId);
    expect(run.output).toMatchObject({
      outcome: "gave-up",
      attempts: 2,
      verdicts: [
        { attempt: 1, done: false, score: 1, reason: "5 of 100 words" },
        { attempt: 2, done: false, score: 1, reason: "10 of 100 words" },
      ],
    });
  });
});
