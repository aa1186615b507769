import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { syncSchedules } from "@/lib/schedules";
import { defineWorkflow, type FailureInfo } from "@/lib/workflow/define";

const failures: FailureInfo<{ n: number }>[] = [];

const boom = defineWorkflow({
  name: "boom",
  input: z.object({ n: z.number() }),
  retries: 0,
  schedules: [{ id: "every-5", cron: "*/5 * * * *", input: { n: 1 }, tags: ["nightly", "team:ops"] }],
  onFailure: (failure) => {
    failures.push(failure);
  },
  async handler({ context }) {
    await context.run("explode", () => {
      throw new Error("kaboom");
    });
  },
});

let t: TestStack;
let qstash: Client;
beforeAll(async () => {
  t = await createTestStack({ workflows: [boom] });
  qstash = new Client({ baseUrl: t.dev.env.QSTASH_URL, token: t.dev.env.QSTASH_TOKEN });
});
afterAll(async () => {
  await t?.stop();
});

describe("a schedule firing starts a run like the trigger API", () => {
  it("applies the workflow's retries and failure handling to a scheduled run", async () => {
    await syncSchedules({ workflows: [boom], qstash, scope: { environment: "development", baseUrl: t.url } });
    await t.advanceTime(300_000);
    for (const schedule of await qstash.schedules.list()) await qstash.schedules.delete(schedule.scheduleId);
    const { runs } = await t.overtime.store.listRuns({ workflow: "boom" });
    expect(runs).toHaveLength(1);
    const run = await t.waitForRun(runs[0]?.id as string);
    expect(run).toMatchObject({
      status: "failed",
      source: "schedule",
      input: { n: 1 },
      tags: ["nightly", "team:ops"],
    });
    const bySource = await t.overtime.runs.list({ tag: "team:ops", source: "schedule" });
    expect(bySource.runs.map((r) => r.id)).toEqual([run.id]);
    const { steps } = await t.getRun(run.id);
    expect(steps).toMatchObject([{ name: "explode", outcome: "failed", attempt: 1 }]); // retries: 0
    expect(failures.map((f) => f.runId)).toEqual([run.id]);
  });

  it("rejects an unsigned request that looks like a firing, starting nothing", async () => {
    const before = (await t.overtime.store.listRuns({ workflow: "boom" })).runs.length;
    const response = await fetch(`${t.url}/api/workflows/boom`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "overtime-source": "schedule",
        "upstash-schedule-id": "x",
      },
      body: JSON.stringify({ n: 2 }),
    });
    expect(response.status).toBe(401);
    expect((await t.overtime.store.listRuns({ workflow: "boom" })).runs).toHaveLength(before);
  });
});
