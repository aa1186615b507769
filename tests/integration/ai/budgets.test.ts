import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "@/dev/testing";
import { research, useProvider } from "./fixtures";

// 1,500 tokens at once, then ~975 per second: a drained budget refills within a few real seconds
// (@upstash/ratelimit measures time with Date.now, not QStash's virtual clock).
const budgets = { "gpt-4o-mini": { tokensPerMinute: 60_000, requestsPerMinute: 600, burstShare: 0.025 } };

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [research], ai: { budgets } });
  useProvider(t.openai);
});
afterAll(async () => {
  await t?.stop();
});

describe("token budgets", () => {
  it("sleeps durably while the budget is spent, then completes without a provider 429", async () => {
    const { budgets: shared } = t.overtime.services;
    const drained = await shared.reserve({ model: "gpt-4o-mini", tenant: "acme", tokens: 1_500 });
    expect(drained.granted).toBe(true);
    const before = t.dev.model.stats();
    const runId = await t.trigger("research", {
      tenant: "acme",
      prompt: 'dev-model: call lookup {"topic": "budgets"}\ndev-model: reply',
    });
    const run = await t.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe("succeeded");
    expect(t.dev.model.stats().rateLimited - before.rateLimited).toBe(0);
    const names = (await t.getRun(runId)).steps.map((s) => s.name);
    // The reservation and its settlement live in the call's own step: no extra QStash messages.
    expect(names.slice(0, 3)).toEqual([
      "researcher:turn-1",
      "researcher:turn-1:budget-wait-1",
      "researcher:turn-1:attempt-2",
    ]);
    expect(names.filter((name) => /reserve|reconcile/.test(name))).toEqual([]);
    const { steps } = await t.getRun(runId);
    expect(steps.find((s) => s.name === "researcher:turn-1")?.usage).toBeUndefined(); // denied: no call
    expect(steps.find((s) => s.name === "researcher:turn-1:attempt-2")?.usage?.inputTokens).toBeGreaterThan(
      0,
    );
    const tenant = (await shared.status()).find((b) => b.key === "gpt-4o-mini:acme");
    expect(tenant?.tokens?.remaining).toBeGreaterThan(0); // over-estimates were given back
  });

  it("lists each budget's limits, remaining tokens and reset time at GET /api/budgets", async () => {
    const response = await fetch(`${t.url}/api/budgets`);
    const body = (await response.json()) as { budgets: Array<Record<string, unknown>> };
    const keys = body.budgets.map((b) => b.key);
    expect(keys).toEqual(["gpt-4o-mini", "gpt-4o-mini:acme"]);
    const tenant = body.budgets[1] as {
      tenant: string;
      tokens: {
        limitPerMinute: number;
        capacity: number;
        refillPerSecond: number;
        remaining: number;
        resetAt: number;
      };
      requests: { limitPerMinute: number };
    };
    expect(tenant.tenant).toBe("acme");
    expect(tenant.tokens).toMatchObject({ limitPerMinute: 60_000, capacity: 1_500, refillPerSecond: 975 });
    expect(tenant.tokens.remaining).toBeLessThanOrEqual(1_500);
    expect(tenant.tokens.resetAt).toBeGreaterThan(0);
    expect(tenant.requests.limitPerMinute).toBe(600);
  });

  it("refunds with negative rates: an over-estimate is given back after the turn", async () => {
    const { budgets: shared } = t.overtime.services;
    const held = await shared.reserve({ model: "gpt-4o-mini", tenant: "refund", tokens: 1_000 });
    expect(held.granted).toBe(true);
    const debt = await shared.reconcile("gpt-4o-mini", "refund", 1_000, 100);
    expect(debt).toBe(0);
    const status = (await shared.status()).find((b) => b.key === "gpt-4o-mini:refund");
    expect(status?.tokens?.remaining).toBe(1_400);
  });
  it("sleeps for a provider 429 inside a budgeted turn, then calls again in a new step", async () => {
    t.dev.model.setFaults({ status: 429, retryAfterMs: 1_000, times: 1 });
    const runId = await t.trigger("research", { tenant: "refused", prompt: "dev-model: reply" });
    await t.advanceTime(2_000);
    const run = await t.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe("succeeded");
    const names = (await t.getRun(runId)).steps.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "researcher:turn-1",
        "researcher:turn-1:rate-limited-1",
        "researcher:turn-1:attempt-2",
      ]),
    );
  });
  it("reserves and reconciles in steps of their own when the call is offloaded to QStash", async () => {
    const runId = await t.trigger("research", {
      mode: "offload",
      tenant: "offload",
      prompt: 'dev-model: call lookup {"topic": "offload"}\ndev-model: reply',
    });
    const run = await t.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe("succeeded");
    const names = (await t.getRun(runId)).steps.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "researcher:turn-1:reserve-1",
        "researcher:turn-1",
        "researcher:turn-1:reconcile",
        "researcher:turn-2:reserve-1",
        "researcher:turn-2:reconcile",
      ]),
    );
  });
});
