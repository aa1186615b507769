import type { WorkflowContext } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, stepsOf, type TestStack, waitFor } from "./support/stack";

// waitForEvent / notify (incl. lookback) / getWaiters / wait timeouts, and webhooks.

let stack: TestStack;
const urls = { wait: "", hook: "" };
type Payload = { eventId: string; pauseFirst?: boolean };
const outcomes = new Map<string, unknown>();
const webhookUrls = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack();
  urls.wait = stack.app.workflow("/wf/wait", async (context: WorkflowContext<Payload>) => {
    const { eventId, pauseFirst } = context.requestPayload;
    if (pauseFirst) await context.sleep("pause", 60);
    const { eventData, timeout } = await context.waitForEvent("wait-for-it", eventId, { timeout: "1h" });
    await context.run("record", () => {
      outcomes.set(context.workflowRunId, { eventData, timeout });
    });
  });
  urls.hook = stack.app.workflow("/wf/hook", async (context: WorkflowContext<{ pauseFirst?: boolean }>) => {
    const webhook = await context.createWebhook("create-hook");
    await context.run("announce", () => {
      webhookUrls.set(context.workflowRunId, webhook.webhookUrl);
    });
    if (context.requestPayload.pauseFirst) await context.sleep("pause", 60);
    const { request, timeout } = await context.waitForWebhook("wait-hook", webhook, "1h");
    const summary = {
      timeout,
      method: request?.method,
      url: request?.url,
      body: request ? await request.text() : undefined,
      header: request?.headers.get("x-hook"),
      webhookUrl: webhook.webhookUrl,
    };
    await context.run("record", () => {
      outcomes.set(context.workflowRunId, summary);
    });
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("waitForEvent and notify", () => {
  it("resumes a waiting run when notified, and lists it as a waiter meanwhile", async () => {
    const eventId = "evt-after";
    const { workflowRunId } = await stack.client.trigger({ url: urls.wait, body: { eventId } });
    await stack.waitForIdle();

    const waiters = await stack.client.getWaiters({ eventId });
    expect(waiters).toHaveLength(1);
    expect(waiters[0]?.url).toBe(urls.wait);
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");

    const notified = await stack.client.notify({ eventId, eventData: { approved: true } });
    expect(Array.isArray(notified) ? notified : [notified]).toHaveLength(1);
    await stack.waitForIdle();

    expect(outcomes.get(workflowRunId)).toEqual({ eventData: { approved: true }, timeout: false });
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
    expect(await stack.client.getWaiters({ eventId })).toEqual([]);
  });

  it("keeps a notify addressed to the run (lookback) until the run waits", async () => {
    const eventId = "evt-lookback";
    const { workflowRunId } = await stack.client.trigger({
      url: urls.wait,
      body: { eventId, pauseFirst: true },
    });
    await stack.waitForIdle();
    expect(await stack.client.getWaiters({ eventId })).toEqual([]);

    await stack.client.notify({ eventId, eventData: "early bird", workflowRunId });
    await stack.waitForIdle();
    expect(outcomes.get(workflowRunId)).toBeUndefined();

    await stack.advance(60_000);
    expect(outcomes.get(workflowRunId)).toEqual({ eventData: "early bird", timeout: false });
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });

  it("loses a notify without run id when nobody waits yet", async () => {
    const notified = await stack.client.notify({ eventId: "evt-nobody", eventData: 1 });
    expect(notified).toEqual([]);
  });

  it("times out on the virtual clock", async () => {
    const eventId = "evt-timeout";
    const { workflowRunId } = await stack.client.trigger({ url: urls.wait, body: { eventId } });
    await stack.waitForIdle();

    await stack.advance(59 * 60_000);
    expect(outcomes.get(workflowRunId)).toBeUndefined();
    expect(await stack.client.getWaiters({ eventId })).toHaveLength(1);

    await stack.advance(60_000);
    expect(outcomes.get(workflowRunId)).toEqual({ timeout: true });
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect.soft(stepsOf(run).find((s) => s.stepName === "wait-for-it")).toMatchObject({
      stepType: "Wait",
      waitEventId: eventId,
      waitTimeout: true,
    });
    expect(await stack.client.getWaiters({ eventId })).toEqual([]);
  });
});

describe.sequential("webhooks", () => {
  for (const pauseFirst of [false, true]) {
    it(`delivers a webhook call to waitForWebhook (${pauseFirst ? "called before the wait" : "called while waiting"})`, async () => {
      const { workflowRunId } = await stack.client.trigger({ url: urls.hook, body: { pauseFirst } });
      await stack.waitForIdle();
      const webhookUrl = await waitFor(() => webhookUrls.get(workflowRunId), { what: "the webhook URL" });
      const base = stack.qstash.url.replace(/\/$/, "");
      expect(webhookUrl.startsWith(`${base}/v2/workflows/hooks/testUser/${workflowRunId}/evt_`)).toBe(true);

      // A third party calls the hook: no QStash token needed.
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "x-hook": "hooked", "content-type": "text/plain" },
        body: "payload-from-third-party",
      });
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
      await stack.waitForIdle();
      if (pauseFirst) {
        expect(outcomes.get(workflowRunId)).toBeUndefined();
        await stack.advance(60_000);
      }

      expect(outcomes.get(workflowRunId)).toEqual({
        timeout: false,
        method: "POST",
        url: webhookUrl,
        body: "payload-from-third-party",
        header: "hooked",
        webhookUrl,
      });
      expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
    });
  }

  it("times out a webhook wait on the virtual clock", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: urls.hook, body: {} });
    await stack.waitForIdle();
    await stack.advance(3_600_000);
    expect(outcomes.get(workflowRunId)).toMatchObject({ timeout: true, method: undefined });
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });
});
