import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { defineWorkflow } from "@/lib/workflow/define";

const DAY_MS = 86_400_000;

/** Sleeps until an instant given in the input, then does its one thing. */
const reminder = defineWorkflow({
  name: "reminder",
  input: z.object({ at: z.iso.datetime(), note: z.string() }),
  async handler({ context, input }) {
    await context.sleepUntil("until-due", new Date(input.at));
    return context.run("remind", () => ({ reminded: input.note }));
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [reminder] });
});
afterAll(async () => {
  await t?.stop();
});

const virtualNow = async () =>
  ((await (await fetch(`${t.dev.env.QSTASH_URL}/__dev/clock`)).json()) as { now: number }).now;

describe("context.sleepUntil in an Overtime workflow", () => {
  it("records when the run wakes, skips the wait on the virtual clock, then finishes", async () => {
    const wakesAt = Math.floor(((await virtualNow()) + 2 * DAY_MS) / 1000) * 1000;
    const runId = await t.trigger("reminder", { at: new Date(wakesAt).toISOString(), note: "call Ada" });

    const sleeping = await t.waitForRun(runId, { status: "sleeping" });
    expect(sleeping).toMatchObject({ currentStep: "until-due", sleepingUntil: wakesAt });
    const { steps } = await t.getRun(runId);
    expect(steps.find((s) => s.name === "until-due")).toMatchObject({
      type: "sleep",
      outcome: "sleeping",
      sleepingUntil: wakesAt,
    });

    await t.advanceTime(DAY_MS);
    expect((await t.getRun(runId)).run?.status).toBe("sleeping");
    await t.advanceTime(DAY_MS + 60_000);
    const done = await t.waitForRun(runId);
    expect(done).toMatchObject({ status: "succeeded", output: { reminded: "call Ada" } });
  });
});
