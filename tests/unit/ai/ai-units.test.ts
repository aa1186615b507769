import { describe, expect, it } from "vitest";
import { stepNames } from "@/lib/ai/names";
import { usageOfStepResult } from "@/lib/ai/usage";
import { BudgetConfigError, parseBudgets, tenantLimits } from "@/lib/budgets/config";
import { messagesForStep, runCost } from "@/lib/cost/compute";
import { PriceTableError, parsePrices, priceOf, priceTable } from "@/lib/cost/pricing";
import type { StepRecord } from "@/lib/runs/store";

const step = (overrides: Partial<StepRecord>): StepRecord => ({
  name: "s",
  type: "run",
  startedAt: 0,
  attempt: 1,
  outcome: "succeeded",
  ...overrides,
});

describe("cost", () => {
  it("counts QStash messages by Upstash's rules", () => {
    expect(messagesForStep(step({}))).toBe(1);
    expect(messagesForStep(step({ type: "sleep" }))).toBe(1);
    expect(messagesForStep(step({ type: "wait" }))).toBe(1);
    expect(messagesForStep(step({ type: "call" }))).toBe(2);
    expect(messagesForStep(step({ parallel: true }))).toBe(2);
    expect(messagesForStep(step({ attempt: 3 }))).toBe(3);
  });

  it("prices tokens per model and flags unpriced models", () => {
    const prices = priceTable({ qstashPerMessage: 1, redisPerCommand: 0.5 });
    const cost = runCost(
      [
        step({ usage: { model: "gpt-4o-mini-2024-07-18", inputTokens: 1_000_000, outputTokens: 0 } }),
        step({ type: "call", usage: { model: "mystery", inputTokens: 10, outputTokens: 10 } }),
      ],
      4,
      prices,
    );
    expect(cost.messages).toEqual({ total: 4, byKind: { trigger: 1, run: 1, call: 2 } });
    expect(cost.dollars).toEqual({ qstash: 4, redis: 2, llm: 0.15, total: 6.15 });
    expect(cost.unpricedModels).toEqual(["mystery"]);
  });

  it("matches provider model ids with suffixes to the longest listed id", () => {
    expect(priceOf(priceTable(), "gpt-4o-mini (overtime-dev-model)")).toEqual({
      inputPerMillion: 0.15,
      outputPerMillion: 0.6,
    });
    expect(() => parsePrices("{nope")).toThrow(PriceTableError);
  });
});

describe("budgets config", () => {
  it("holds a tenant to its own limits, else the per-tenant default, else the model's", () => {
    const limits =
      parseBudgets(
        '{"m":{"tokensPerMinute":1000,"perTenant":{"tokensPerMinute":100},"tenants":{"a":{"dollarsPerDay":5}}}}',
      ).m ?? {};
    expect(tenantLimits(limits, "a")).toEqual({ dollarsPerDay: 5 });
    expect(tenantLimits(limits, "b")).toEqual({ tokensPerMinute: 100 });
    expect(tenantLimits({ tokensPerMinute: 7 }, "b")).toEqual({
      tokensPerMinute: 7,
      requestsPerMinute: undefined,
    });
    expect(() => parseBudgets('{"m":{"tenants":{"a":{"dollarsPerDay":0}}}}')).toThrow(
      /m\.tenants\.a\.dollarsPerDay/,
    );
  });

  it("parses budgets from JSON and names the bad field", () => {
    expect(parseBudgets('{"gpt-4o-mini":{"tokensPerMinute":1000}}')).toEqual({
      "gpt-4o-mini": { tokensPerMinute: 1000 },
    });
    expect(parseBudgets(undefined)).toEqual({});
    expect(() => parseBudgets('{"m":{"tokensPerMinute":-1}}')).toThrow(/m\.tokensPerMinute/);
    expect(() => parseBudgets("nope")).toThrow(BudgetConfigError);
  });
});

describe("agent steps", () => {
  it("names steps from the agent, turn and tool only", () => {
    const names = stepNames("research");
    expect(names.turn(2, 1)).toBe("research:turn-2");
    expect(names.turn(2, 3)).toBe("research:turn-2:attempt-3");
    expect(names.tool(2, "search", 1)).toBe("research:turn-2:search-1");
    expect(names.approvalWait(1, "deletePath", 2)).toBe("research:turn-1:await-deletePath-2");
  });

  it("reads usage from inline turn results and recorded provider responses", () => {
    expect(
      usageOfStepResult({ model: "m", responseMessages: [], usage: { inputTokens: 3, outputTokens: 4 } }),
    ).toEqual({ model: "m", inputTokens: 3, outputTokens: 4 });
    expect(
      usageOfStepResult({
        status: 200,
        header: {},
        body: { model: "m", usage: { input_tokens: 5, output_tokens: 6 } },
      }),
    ).toEqual({ model: "m", inputTokens: 5, outputTokens: 6 });
    expect(usageOfStepResult({ status: 200, header: {}, body: "plain" })).toBeUndefined();
    expect(usageOfStepResult("text")).toBeUndefined();
  });
});
