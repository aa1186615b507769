import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@upstash/qstash";
import { WorkflowNonRetryableError } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { syncSchedules } from "@/lib/schedules";
import { deliveryHeadersFor, PROTECTION_BYPASS_HEADER } from "@/lib/vercel";
import { defineWorkflow } from "@/lib/workflow/define";

/**
 * Vercel's Deployment Protection answers every request without the bypass header with a login page, so
 * each delivery QStash makes to the app must carry it: trigger, every step, sleep and wait continuations,
 * context.call callbacks, invoked children and their results, failure callbacks and schedule firings.
 * And no third party a `context.call` reaches may ever see it.
 */
const SECRET = "bypass-secret-for-tests-0123456789";

const child = defineWorkflow({
  name: "child",
  input: z.object({ n: z.number() }),
  async handler({ context, input }) {
    return context.run("double", () => input.n * 2);
  },
});

let thirdPartyUrl = "";
const parent = defineWorkflow({
  name: "parent",
  input: z.object({ n: z.number() }),
  async handler({ context, input, invoke }) {
    const first = await context.run("first", () => input.n + 1);
    await context.sleep("nap", 30);
    const called = await context.call("third-party", { url: thirdPartyUrl, method: "POST", body: "{}" });
    const waited = await context.waitForEvent("approval", `approve-${input.n}`, { timeout: "1h" });
    const doubled = await invoke("child", child, { n: first });
    return { first, status: called.status, timedOut: waited.timeout, doubled };
  },
});

const failing = defineWorkflow({
  name: "failing",
  input: z.object({}),
  async handler({ context }) {
    await context.run("refuse", () => {
      throw new WorkflowNonRetryableError("no");
    });
  },
});

const scheduled = defineWorkflow({
  name: "scheduled",
  input: z.object({}),
  schedules: [{ id: "every-minute", cron: "* * * * *", input: {} }],
  async handler({ context }) {
    return context.run("tick", () => "ticked");
  },
});

/** Every request the app got at /api/workflows/*, with what identifies it. */
const deliveries: Array<{ path: string; bypass: string | null; kind: string }> = [];
const thirdPartyHeaders: Array<Record<string, string | string[] | undefined>> = [];
let thirdParty: Server;
let t: TestStack;

beforeAll(async () => {
  thirdParty = createServer((req, res) => {
    thirdPartyHeaders.push(req.headers);
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => thirdParty.listen(0, "127.0.0.1", resolve));
  thirdPartyUrl = `http://127.0.0.1:${(thirdParty.address() as AddressInfo).port}/api`;
  t = await createTestStack({
    workflows: [parent, child, failing, scheduled],
    deliveryHeaders: deliveryHeadersFor(SECRET),
    onAppRequest: (request) => {
      const path = new URL(request.url).pathname;
      if (!path.startsWith("/api/workflows/")) return;
      const h = request.headers;
      const kind = h.get("upstash-workflow-failure-callback")
        ? "failure-callback"
        : h.get("upstash-workflow-callback")
          ? "call-callback"
          : h.get("upstash-schedule-id")
            ? "schedule"
            : h.get("upstash-workflow-sdk-version")
              ? "step"
              : "first";
      deliveries.push({ path, bypass: h.get(PROTECTION_BYPASS_HEADER), kind });
    },
  });
});

afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => thirdParty?.close(resolve));
});

describe("deliveryHeaders (VERCEL_AUTOMATION_BYPASS_SECRET) through the real SDKs", () => {
  it("reach every delivery of a run: steps, sleep, call callback, wait, invoke and its result", async () => {
    const runId = await t.trigger("parent", { n: 1 });
    await t.waitForIdle();
    await t.advanceTime(31_000);
    await t.waitForRun(runId, { status: "waiting" });
    expect(await t.notify("approve-1", { ok: true })).toBe(1);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({
      first: 2,
      status: 200,
      timedOut: false,
      doubled: { ok: true, output: 4 },
    });

    const paths = new Set(deliveries.map((d) => d.path));
    expect(paths).toEqual(new Set(["/api/workflows/parent", "/api/workflows/child"]));
    expect(deliveries.map((d) => d.kind)).toContain("call-callback");
    expect(deliveries.length).toBeGreaterThan(8);
    expect(deliveries.filter((d) => d.bypass !== SECRET)).toEqual([]);
  });

  it("never reach a third party called with context.call", () => {
    expect(thirdPartyHeaders).toHaveLength(1);
    expect(thirdPartyHeaders[0]?.[PROTECTION_BYPASS_HEADER]).toBeUndefined();
  });

  it("reach the failure callback", async () => {
    deliveries.length = 0;
    const runId = await t.trigger("failing", {});
    expect((await t.waitForRun(runId)).status).toBe("failed");
    expect(deliveries.map((d) => d.kind)).toContain("failure-callback");
    expect(deliveries.filter((d) => d.bypass !== SECRET)).toEqual([]);
  });

  it("reach schedule firings and the run each one starts", async () => {
    deliveries.length = 0;
    const qstash = new Client({ baseUrl: t.dev.env.QSTASH_URL, token: t.dev.env.QSTASH_TOKEN });
    const scope = { environment: "development", baseUrl: t.url };
    const sync = () =>
      syncSchedules({ workflows: [scheduled], qstash, scope, deliveryHeaders: deliveryHeadersFor(SECRET) });
    const { plan } = await sync();
    expect(plan.create).toHaveLength(1);
    // The secret is compared by hash: a second sync finds nothing to change.
    expect((await sync()).plan.unchanged).toHaveLength(1);
    await t.advanceTime(60_000);
    await t.waitForIdle();
    expect(deliveries.map((d) => d.kind)).toContain("schedule");
    expect(deliveries.filter((d) => d.path === "/api/workflows/scheduled").length).toBeGreaterThan(1);
    expect(deliveries.filter((d) => d.bypass !== SECRET)).toEqual([]);
    await syncSchedules({ workflows: [], qstash, scope });
  });
});
