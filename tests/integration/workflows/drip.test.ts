import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inbox } from "@/app/_lib/inbox";
import { createTestStack, type TestStack } from "@/dev/testing";
import { clickedEventId, createDripWorkflow, dripStatus } from "@/workflows/drip";

const DAY_MS = 86_400_000;

let t: TestStack;
const redis = () => t.overtime.config.redis;
const drip = createDripWorkflow({ redis });

beforeAll(async () => {
  t = await createTestStack({ workflows: [drip] });
});
afterAll(async () => {
  await t?.stop();
});

const inboxOf = (userId: string) => new Inbox(redis()).list(userId);
const stepNames = async (runId: string) => (await t.getRun(runId)).steps.map((s) => s.name).sort();

describe("drip", () => {
  it("ends engaged when the user clicks the welcome within 3 days", async () => {
    const runId = await t.trigger("drip", { userId: "ada", name: "Ada" });
    expect(await t.waitForRun(runId, { status: "waiting" })).toMatchObject({ currentStep: "wait-for-click" });
    expect(await dripStatus(redis(), t.overtime.key, "ada")).toMatchObject({ status: "welcomed", runId });
    await t.advanceTime(2 * DAY_MS);
    expect(await t.notify(clickedEventId("ada"), { link: "welcome" })).toBe(1);

    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({
      userId: "ada",
      outcome: "engaged",
      clickedAfter: "welcome",
      messages: [`${runId}:welcome`],
    });
    expect(await stepNames(runId)).toEqual(["mark-engaged", "send-welcome", "wait-for-click"]);
    expect(await dripStatus(redis(), t.overtime.key, "ada")).toMatchObject({ status: "engaged" });
    const messages = await inboxOf("ada");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      kind: "welcome",
      subject: "Welcome, Ada!",
      data: { eventId: "drip.clicked.ada" },
    });
  });

  it("reminds after 3 silent days and marks the user dormant after 7 more", async () => {
    const runId = await t.trigger("drip", { userId: "bob" });
    await t.waitForRun(runId, { status: "waiting" });
    await t.advanceTime(3 * DAY_MS + 1_000);
    expect(await t.waitForRun(runId, { status: "waiting" })).toMatchObject({
      currentStep: "wait-for-click-after-reminder",
    });
    expect(await dripStatus(redis(), t.overtime.key, "bob")).toMatchObject({ status: "reminded" });
    expect((await inboxOf("bob")).map((m) => m.kind)).toEqual(["reminder", "welcome"]);

    await t.advanceTime(6 * DAY_MS);
    expect((await t.getRun(runId)).run?.status).toBe("waiting");
    await t.advanceTime(DAY_MS + 1_000);

    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", workflow: "drip" });
    expect(run.output).toEqual({
      userId: "bob",
      outcome: "dormant",
      clickedAfter: null,
      messages: [`${runId}:welcome`, `${runId}:reminder`],
    });
    expect(await stepNames(runId)).toEqual([
      "mark-dormant",
      "send-reminder",
      "send-welcome",
      "wait-for-click",
      "wait-for-click-after-reminder",
    ]);
    expect(await dripStatus(redis(), t.overtime.key, "bob")).toMatchObject({ status: "dormant", runId });
    expect(await inboxOf("bob")).toHaveLength(2);
  });

  it("ends engaged when the user clicks the reminder", async () => {
    const runId = await t.trigger("drip", { userId: "cy" });
    await t.waitForRun(runId, { status: "waiting" });
    await t.advanceTime(3 * DAY_MS + 1_000);
    await t.waitForRun(runId, { status: "waiting" });
    await t.advanceTime(5 * DAY_MS);
    expect(await t.notify(clickedEventId("cy"))).toBe(1);
    const run = await t.waitForRun(runId);
    expect(run.output).toMatchObject({ outcome: "engaged", clickedAfter: "reminder" });
    expect(await dripStatus(redis(), t.overtime.key, "cy")).toMatchObject({ status: "engaged" });
  });

  it("stores a message once per id, so a retried send step does not duplicate it", async () => {
    const inbox = new Inbox(redis());
    const first = await inbox.send("dee", { id: "run-1:welcome", subject: "Hi" });
    const again = await inbox.send("dee", { id: "run-1:welcome", subject: "Hi (retried)" });
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.message).toEqual(first.message);
    await inbox.send("dee", { id: "run-1:reminder", subject: "Still there?" });
    expect((await inboxOf("dee")).map((m) => m.subject).sort()).toEqual(["Hi", "Still there?"]);
  });

  it("rejects a user id that cannot be part of an event id", async () => {
    await expect(t.trigger("drip", { userId: "a/b" })).rejects.toThrow(/userId/);
  });
});
