/**
 * Budget benchmark: N concurrent 6-turn agent runs offered at ~3× the dev model's own tokens-per-minute
 * limit, once with a shared token budget equal to that limit and once without. Prints provider 429s,
 * completed runs and wall time for both. Real time (the budget and the dev model both count real
 * minutes), so it takes a few minutes.
 *
 *   node --import tsx bench/budgets.ts [runs=10] [tpm=4000]
 */
import type { createOpenAI } from "@ai-sdk/openai";
import { tool } from "ai";
import { z } from "zod";
import { createTestStack } from "../dev/testing";
import { runAgent } from "../lib/ai";
import { defineWorkflow } from "../lib/workflow/define";

const RUNS = Number(process.argv[2] ?? 10);
const TPM = Number(process.argv[3] ?? 4_000);
const SCRIPT = [
  "Research otters.",
  "dev-model: call lookup",
  'dev-model: call lookup {"topic": "diet"}',
  'dev-model: call lookup {"topic": "habitat"}',
  'dev-model: call lookup {"topic": "range"}',
  'dev-model: call lookup {"topic": "predators"}',
  "dev-model: reply",
].join("\n");

let openai: ReturnType<typeof createOpenAI> | undefined;

const agent = defineWorkflow({
  name: "agent",
  input: z.object({ budget: z.boolean() }),
  retries: 10,
  async handler(run) {
    const result = await runAgent(run, {
      name: "bench",
      model: (openai as ReturnType<typeof createOpenAI>)("gpt-4o-mini"),
      prompt: SCRIPT,
      tools: {
        lookup: tool({
          description: "Look up facts about a topic",
          inputSchema: z.object({ topic: z.string() }),
          execute: async ({ topic }) => ({ topic, fact: `${topic} facts` }),
        }),
      },
      budget: run.input.budget ? { reserveOutputTokens: 64 } : false,
      maxTurns: 8,
    });
    return { turns: result.turns, tokens: result.usage.totalTokens };
  },
});

async function scenario(withBudget: boolean) {
  const t = await createTestStack({
    workflows: [agent],
    model: { tokensPerMinute: TPM },
    ai: { budgets: withBudget ? { "gpt-4o-mini": { tokensPerMinute: TPM } } : {} },
  });
  openai = t.openai;
  try {
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: RUNS }, () => t.trigger("agent", { budget: withBudget })),
    );
    const runs = await Promise.all(ids.map((id) => t.waitForRun(id, { timeoutMs: 900_000 })));
    const stats = t.dev.model.stats();
    const tokens = runs.reduce((sum, run) => sum + ((run.output as { tokens?: number })?.tokens ?? 0), 0);
    return {
      budgets: withBudget ? "on" : "off",
      succeeded: runs.filter((run) => run.status === "succeeded").length,
      provider429s: stats.rateLimited,
      modelRequests: stats.requests,
      tokens,
      offeredVsTpm: (tokens / TPM).toFixed(1),
      seconds: ((performance.now() - started) / 1000).toFixed(0),
    };
  } finally {
    await t.stop();
  }
}

console.log(`${RUNS} concurrent 6-turn agents, dev model limit ${TPM} tokens/min`);
console.table([await scenario(true), await scenario(false)]);
process.exit(0);
