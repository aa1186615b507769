import type { WorkflowContext } from "@upstash/workflow";
import { Cron } from "croner";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, type TestStack } from "./support/stack";

// A QStash schedule pointing at a workflow endpoint, fired by the virtual clock.

let stack: TestStack;
let url = "";
const ticks: Array<{ runId: string; from: string }> = [];
const ticksFrom = (from: string) => ticks.filter((t) => t.from === from).length;

beforeAll(async () => {
  stack = await startStack();
  url = stack.app.workflow("/wf/scheduled", async (context: WorkflowContext<{ from: string }>) => {
    await context.run("tick", () => {
      ticks.push({ runId: context.workflowRunId, from: context.requestPayload.from });
    });
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("schedules", () => {
  it("fires a */5 cron three times in a row as the clock advances, each firing starting a run", async () => {
    const { scheduleId } = await stack.qstashClient.schedules.create({
      destination: url,
      cron: "*/5 * * * *",
      body: JSON.stringify({ from: "every-5" }),
    });
    expect((await stack.qstashClient.schedules.get(scheduleId)).cron).toBe("*/5 * * * *");

    const { now } = await stack.clock();
    let next = Math.floor(now / 300_000) * 300_000 + 300_000;
    if (next - now < 20_000) next += 300_000;
    const before = await stack.stats();
    // (the virtual clock also moves with real time, so stop a few seconds short of each firing)
    await stack.advanceTo(next - 10_000);
    // Created less than 20 s before a five-minute boundary, that first slot was skipped over: it fired.
    const early = ticksFrom("every-5");
    expect(early).toBeLessThanOrEqual(1);

    for (let firing = 1; firing <= 3; firing++) {
      await stack.advanceTo(next);
      expect(ticksFrom("every-5")).toBe(early + firing);
      await stack.advanceTo(next + 290_000);
      expect(ticksFrom("every-5")).toBe(early + firing);
      next += 300_000;
    }

    // Each firing is a plain signed message carrying the schedule id; the SDK starts a run from it.
    const firings = stack.app
      .received("/wf/scheduled")
      .filter(
        (r) =>
          r.headers.get("upstash-schedule-id") === scheduleId && !r.headers.get("upstash-workflow-runid"),
      );
    expect(firings).toHaveLength(early + 3);
    expect((await stack.statsSince(before))["byKind.schedule"]).toBe(early + 3);
    const runIds = new Set(ticks.filter((t) => t.from === "every-5").map((t) => t.runId));
    expect(runIds.size).toBe(early + 3);
    for (const runId of runIds) expect(await stack.runState(runId)).toBe("RUN_SUCCESS");

    await stack.qstashClient.schedules.delete(scheduleId);
    await stack.advance(30 * 60_000);
    expect(ticksFrom("every-5")).toBe(early + 3);
  });

  it("honours a CRON_TZ= prefix", async () => {
    const cron = "CRON_TZ=America/New_York 0 9 * * *";
    const { scheduleId } = await stack.qstashClient.schedules.create({
      destination: url,
      cron,
      body: JSON.stringify({ from: "new-york" }),
    });
    expect((await stack.qstashClient.schedules.get(scheduleId)).cron).toBe(cron);

    const { now } = await stack.clock();
    const newYorkNine = new Cron("0 9 * * *", { timezone: "America/New_York" });
    let due = newYorkNine.nextRun(new Date(now + 1_000));
    if (due && due.getTime() - now < 120_000) due = newYorkNine.nextRun(new Date(due.getTime() + 1_000));
    if (!due) throw new Error("croner found no next run");
    // If the zone were ignored, 09:00 UTC would fire somewhere in this window (or not at `due`).
    await stack.advanceTo(due.getTime() - 30_000);
    expect(ticksFrom("new-york")).toBe(0);
    await stack.advanceTo(due.getTime());
    expect(ticksFrom("new-york")).toBe(1);

    await stack.qstashClient.schedules.delete(scheduleId);
  });

  it("rejects a malformed cron with 400", async () => {
    await expect(
      stack.qstashClient.schedules.create({ destination: url, cron: "every tuesday" }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
