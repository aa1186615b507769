import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadReferenceSeries } from "@/app/_lib/streams/datasets";
import { RedisStreamStore } from "@/app/_lib/streams/redis-store";
import { seedStreams } from "@/app/_lib/streams/seed";
import { createTestStack, type TestStack } from "@/dev/testing";
import { syncSchedules } from "@/lib/schedules";
import { createDigestWorkflow, digestMemory } from "@/workflows/digest";

const DAY_MS = 86_400_000;

let t: TestStack;
const redis = () => t.overtime.config.redis;
const digest = createDigestWorkflow({ redis, model: () => t.openai("gpt-4o-mini") });

beforeAll(async () => {
  t = await createTestStack({ workflows: [digest] });
  const seattle = (await loadReferenceSeries()).filter((s) => s.meta.id === "seattle.temp_max");
  await seedStreams(new RedisStreamStore(redis()), seattle);
});
afterAll(async () => {
  await t?.stop();
});

type Output = { report: string; remembered: string[] };
const runsOf = async () => (await t.overtime.store.listRuns({ workflow: "digest" })).runs;

describe("digest", () => {
  it("fires daily at 08:00 London time and remembers yesterday's report", async () => {
    expect(digest.schedules?.[0]).toMatchObject({ cron: "0 8 * * *", timezone: "Europe/London" });
    const qstash = new Client({ baseUrl: t.dev.env.QSTASH_URL, token: t.dev.env.QSTASH_TOKEN });
    await syncSchedules({
      workflows: [digest],
      qstash,
      scope: { environment: "development", baseUrl: t.url },
    });
    expect((await qstash.schedules.list())[0]?.cron).toBe("CRON_TZ=Europe/London 0 8 * * *");

    await t.advanceTime(DAY_MS);
    const [first] = await runsOf();
    const day1 = await t.waitForRun(first?.id as string);
    expect(day1).toMatchObject({ status: "succeeded", source: "schedule" });
    const report1 = (day1.output as Output).report;
    expect(report1).toContain("recentData returned"); // it used its tools on the real series
    expect((day1.output as Output).remembered).toEqual([]);

    await t.advanceTime(DAY_MS);
    for (const schedule of await qstash.schedules.list()) await qstash.schedules.delete(schedule.scheduleId);
    const runs = await runsOf();
    expect(runs).toHaveLength(2);
    const day2 = await t.waitForRun(runs[0]?.id as string);
    expect((day2.output as Output).remembered).toEqual([report1]);
    expect(await digestMemory(redis(), t.overtime.key, "morning")).toHaveLength(4);
  });

  it("starts clean when not threaded, and keeps memory bounded when threaded", async () => {
    const clean = await t.trigger("digest", { threadId: "morning", prompt: "How is it?", threaded: false });
    expect(((await t.waitForRun(clean)).output as Output).remembered).toEqual([]);
    expect((await t.getRun(clean)).steps.map((s) => s.name)).not.toContain("load-memory");

    const reports: string[] = [];
    for (const prompt of ["first", "second", "third"]) {
      const runId = await t.trigger("digest", { threadId: "small", prompt, memoryExchanges: 1 });
      const output = (await t.waitForRun(runId)).output as Output;
      expect(output.remembered).toEqual(reports.slice(-1));
      reports.push(output.report);
    }
    const memory = await digestMemory(redis(), t.overtime.key, "small");
    expect(memory).toEqual([
      { role: "user", content: "third" },
      { role: "assistant", content: reports[2] },
    ]);
  });
});
