import { generateText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { estimatePromptTokens } from "@/lib/ai/tokens";
import { research, useProvider } from "./fixtures";

// Budget waits run on the stand-in's virtual clock (the budgets, QStash and the dev model share it), so
// a test moves a minute or a day forward instead of waiting for it.
const TPM = 3_000;
const budgets = {
  "gpt-4o-mini": {
    tokensPerMinute: TPM,
    requestsPerMinute: 600,
    tenants: {
      tiny: { tokensPerMinute: 400 },
      slow: { requestsPerMinute: 2 },
      frugal: { dollarsPerDay: 0.0004 },
    },
  },
};
const MINUTE = 61_000;
/** Past every entry, reservation lease and queue place of earlier tests. */
const FRESH = 130_000;

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [research], ai: { budgets }, model: { tokensPerMinute: TPM } });
  useProvider(t.openai);
});
afterAll(async () => {
  await t?.stop();
});

/** Moves the virtual clock a minute at a time until every run has ended. */
async function finishAll(runIds: string[], maxMinutes = 15) {
  for (let minute = 0; minute <= maxMinutes; minute++) {
    await t.waitForIdle();
    const runs = await Promise.all(runIds.map((id) => t.overtime.store.getRun(id)));
    if (runs.every((run) => run && ["succeeded", "failed", "canceled"].includes(run.status))) return runs;
    await t.advanceTime(MINUTE);
  }
  throw new Error("runs did not finish");
}

const schemaOf = (fields: number) =>
  z.object(
    Object.fromEntries(
      Array.from({ length: fields }, (_, i) => [
        `field${i}`,
        z.string().describe(`The ${i}th property of the record, in the unit the source reports it in`),
      ]),
    ),
  );
const bigSchema = schemaOf(40);

describe("reservations", () => {
  it("count tool schemas: a tool with a large schema reserves more", async () => {
    const base = { messages: [{ role: "user" as const, content: "Look it up." }] };
    const small = await estimatePromptTokens({
      ...base,
      tools: {
        lookup: tool({ description: "Look up a topic", inputSchema: z.object({ topic: z.string() }) }),
      },
    });
    const large = await estimatePromptTokens({
      ...base,
      tools: { lookup: tool({ description: "Look up a topic", inputSchema: bigSchema }) },
    });
    expect(large - small).toBeGreaterThan(400);
    const withOutput = await estimatePromptTokens({ ...base, tools: {}, output: bigSchema });
    expect(withOutput - (await estimatePromptTokens({ ...base, tools: {} }))).toBeGreaterThan(400);
  });

  it("are never smaller than what the dev model counts", async () => {
    const tools = {
      lookup: tool({ description: "Look up a record", inputSchema: schemaOf(8) }),
      tally: tool({ description: "Count", inputSchema: z.object({}) }),
    };
    const system = "You are a careful researcher. Cite figures with their units.";
    const first = {
      system,
      messages: [
        { role: "user" as const, content: 'Research otters.\ndev-model: call lookup {"field0": "x"}' },
      ],
      tools,
    };
    const model = t.openai("gpt-4o-mini");
    const called = await generateText({ model, ...first, maxRetries: 0 });
    expect(called.usage.inputTokens).toBeLessThanOrEqual(await estimatePromptTokens(first));
    const second = { ...first, messages: [...first.messages, ...called.response.messages] };
    const answered = await generateText({ model, ...second, maxRetries: 0 });
    expect(answered.usage.inputTokens).toBeLessThanOrEqual(await estimatePromptTokens(second));
    const structured = { ...first, tools: {}, output: bigSchema };
    const replied = await generateText({
      model,
      system,
      messages: [{ role: "user", content: "dev-model: reply" }],
      maxRetries: 0,
    });
    expect(replied.usage.inputTokens).toBeLessThan(await estimatePromptTokens(structured));
  });

  it("refuses at once a call no minute of the budget could hold, naming model, tokens and limit", async () => {
    const before = t.dev.model.stats().requests;
    const runId = await t.trigger("research", { tenant: "tiny", prompt: "dev-model: reply" });
    const run = await t.waitForRun(runId, { timeoutMs: 20_000 });
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/gpt-4o-mini needs \d+ tokens/);
    expect(run.error?.message).toContain("allows 400 tokens per minute");
    expect(t.dev.model.stats().requests).toBe(before); // refused before any call
  });
});

describe("the sliding-minute ledger", () => {
  it("lets concurrent runs through without a provider 429, never over the limit in any minute", async () => {
    const before = t.dev.model.stats();
    const prompt =
      'dev-model: call lookup {"topic": "a"}\ndev-model: call lookup {"topic": "b"}\ndev-model: reply';
    const runIds = await Promise.all(
      Array.from({ length: 5 }, () => t.trigger("research", { tenant: "crowd", prompt })),
    );
    const runs = await finishAll(runIds);
    expect(runs.map((run) => run?.status)).toEqual(Array(5).fill("succeeded"));
    const after = t.dev.model.stats();
    expect(after.rateLimited - before.rateLimited).toBe(0);
    expect(after.peakTokensPerMinute).toBeLessThanOrEqual(TPM);
    const tokens = after.inputTokens + after.outputTokens - before.inputTokens - before.outputTokens;
    expect(tokens).toBeGreaterThan(TPM); // more than a minute's worth: the budget had to make runs wait
    const steps = await Promise.all(runIds.map(async (id) => (await t.getRun(id)).steps.map((s) => s.name)));
    expect(steps.flat().filter((name) => name.includes(":budget-wait-")).length).toBeGreaterThan(0);
    // Reservation and settlement live in the call's own step: no extra QStash messages.
    expect(steps.flat().filter((name) => /reserve|reconcile/.test(name))).toEqual([]);
  });

  it("lists each budget's limit, use and waiting runs at GET /api/budgets", async () => {
    const response = await fetch(`${t.url}/api/budgets`);
    const body = (await response.json()) as {
      budgets: Array<{
        key: string;
        tokens?: { limitPerMinute: number; remaining: number; waiting: number };
      }>;
    };
    const keys = body.budgets.map((b) => b.key);
    expect(keys).toContain("gpt-4o-mini");
    expect(keys).toContain("gpt-4o-mini:crowd");
    const model = body.budgets.find((b) => b.key === "gpt-4o-mini");
    expect(model?.tokens).toMatchObject({ limitPerMinute: TPM, waiting: 0 });
  });

  it("gives back what a call did not use as soon as it returns", async () => {
    const { budgets: shared } = t.overtime.services;
    await t.advanceTime(FRESH);
    const held = await shared.reserve({ model: "gpt-4o-mini", tenant: "refund", tokens: 2_000 });
    expect(held.granted).toBe(true);
    if (!held.granted) return;
    const other = { model: "gpt-4o-mini", tenant: "other", tokens: 1_500, ticket: "other" };
    const denied = await shared.reserve(other);
    expect(denied).toMatchObject({ granted: false, reason: "tokens" });
    await shared.settle({ model: "gpt-4o-mini", tenant: "refund" }, held, {
      called: true,
      inputTokens: 300,
      outputTokens: 20,
    });
    const status = (await shared.status()).find((b) => b.key === "gpt-4o-mini");
    expect(status?.tokens?.remaining).toBe(TPM - 320);
    // "other" waited first: it is served before a newcomer of the same size.
    const newcomer = await shared.reserve({ ...other, tenant: "third", ticket: "third" });
    expect(newcomer.granted).toBe(false);
    expect((await shared.reserve(other)).granted).toBe(true);
  });

  it("holds a tenant to its own requests per minute as well as to the model's budget", async () => {
    const { budgets: shared } = t.overtime.services;
    await t.advanceTime(FRESH);
    const slow = { model: "gpt-4o-mini", tenant: "slow", tokens: 10 };
    expect((await shared.reserve(slow)).granted).toBe(true);
    expect((await shared.reserve(slow)).granted).toBe(true);
    expect(await shared.reserve(slow)).toMatchObject({ granted: false, reason: "requests" });
    // The model's own budget is shared with every tenant: a tenant with room still waits for it.
    expect(await shared.reserve({ model: "gpt-4o-mini", tenant: "roomy", tokens: TPM })).toMatchObject({
      granted: false,
      reason: "tokens",
    });
  });

  it("wakes a waiting run as soon as a settlement makes room, not when the minute is over", async () => {
    const { budgets: shared } = t.overtime.services;
    await t.advanceTime(FRESH);
    const hog = { model: "gpt-4o-mini", tenant: "hog" };
    const held = await shared.reserve({ ...hog, tokens: TPM - 100 });
    if (!held.granted) throw new Error("not granted");
    const runId = await t.trigger("research", { tenant: "woken", prompt: "dev-model: reply" });
    await t.waitForIdle();
    const waiting = await t.getRun(runId);
    expect(waiting.run?.status).not.toBe("succeeded");
    expect(waiting.steps.map((s) => s.name)).toContain("researcher:turn-1:budget-wait-1");
    // The call in flight used 100 of the tokens it held: the run is woken at once (no clock advance).
    await shared.settle(hog, held, { called: true, inputTokens: 100, outputTokens: 0 });
    expect((await t.waitForRun(runId, { timeoutMs: 10_000 })).status).toBe("succeeded");
  });

  it("counts what the provider's x-ratelimit headers report beyond its own ledger", async () => {
    const { budgets: shared } = t.overtime.services;
    await t.advanceTime(FRESH);
    const held = await shared.reserve({ model: "gpt-4o-mini", tokens: 500 });
    if (!held.granted) throw new Error("not granted");
    await shared.settle({ model: "gpt-4o-mini" }, held, {
      called: true,
      inputTokens: 100,
      outputTokens: 0,
      // Another client of the same key spent 2,000 tokens this minute.
      provider: { limitTokens: TPM, remainingTokens: TPM - 2_100 },
    });
    const status = (await shared.status()).find((b) => b.key === "gpt-4o-mini");
    expect(status?.tokens?.remaining).toBe(TPM - 2_100);
  });
});

describe("a dollar cap per tenant and day", () => {
  it("pauses a tenant over its cap durably and resumes it the next day", async () => {
    await t.advanceTime(FRESH);
    // $0.0003 of today's $0.0004 already spent (500 output tokens at $0.60 per million).
    const { budgets: shared } = t.overtime.services;
    const spend = { model: "gpt-4o-mini", tenant: "frugal" };
    const held = await shared.reserve({ ...spend, tokens: 500, outputTokens: 500 });
    if (!held.granted) throw new Error("not granted");
    await shared.settle(spend, held, { called: true, inputTokens: 0, outputTokens: 500 });
    const second = await t.trigger("research", { tenant: "frugal", prompt: "dev-model: reply" });
    await t.waitForIdle();
    const paused = await t.overtime.store.getRun(second);
    expect(paused?.status).toBe("sleeping");
    const now = t.dev.qstash.now?.() ?? Date.now();
    const midnight = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`) + 86_400_000;
    expect(paused?.sleepingUntil).toBeGreaterThanOrEqual(midnight);
    expect(paused?.sleepingUntil).toBeLessThanOrEqual(midnight + 1_000);
    await t.advanceTime(midnight - now - 10_000);
    expect((await t.overtime.store.getRun(second))?.status).toBe("sleeping");
    await t.advanceTime(11_000);
    const resumed = await t.waitForRun(second);
    expect(resumed.status).toBe("succeeded");
    const names = (await t.getRun(second)).steps.map((s) => s.name);
    expect(names.slice(0, 3)).toEqual([
      "researcher:turn-1",
      "researcher:turn-1:budget-wait-1",
      "researcher:turn-1:attempt-2",
    ]);
    const status = (await t.overtime.services.budgets.status()).find((b) => b.key === "gpt-4o-mini:frugal");
    expect(status?.dollars?.limitPerDay).toBe(0.0004);
    expect(status?.dollars?.spentToday).toBeGreaterThan(0); // the new day's call
  });
});

describe("with an offloaded call", () => {
  it("reserves and settles in steps of their own", async () => {
    await t.advanceTime(FRESH);
    const runId = await t.trigger("research", {
      mode: "offload",
      tenant: "offload",
      prompt: 'dev-model: call lookup {"topic": "offload"}\ndev-model: reply',
    });
    const [run] = await finishAll([runId]);
    expect(run?.status).toBe("succeeded");
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

  it("sleeps for a provider 429 inside a budgeted turn, then calls again in a new step", async () => {
    await t.advanceTime(FRESH);
    t.dev.model.setFaults({ status: 429, retryAfterMs: 1_000, times: 1 });
    const runId = await t.trigger("research", { tenant: "refused", prompt: "dev-model: reply" });
    await t.advanceTime(2_000);
    const [run] = await finishAll([runId]);
    expect(run?.status).toBe("succeeded");
    const names = (await t.getRun(runId)).steps.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "researcher:turn-1",
        "researcher:turn-1:rate-limited-1",
        "researcher:turn-1:attempt-2",
      ]),
    );
  });
});
