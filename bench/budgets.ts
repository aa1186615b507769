/**
 * Budget benchmark: concurrent 6-turn agent runs offering 1×, 2× and 3× the dev model's own
 * tokens-per-minute limit, each with a shared token budget equal to that limit and without one.
 * Reports provider 429s, finished runs and wall time. Real time (the budget and the dev model both
 * count real minutes): the 3× case takes a few minutes. Part of `npm run bench` (`--only=budgets`);
 * still runnable alone:
 *
 *   node --import tsx bench/budgets.ts [multiples=1,2,3] [tpm=2600]
 */

import { pathToFileURL } from "node:url";
import type { createOpenAI } from "@ai-sdk/openai";
import { tool } from "ai";
import { z } from "zod";
import { createTestStack } from "../dev/testing";
import { runAgent } from "../lib/ai";
import { bucketShape } from "../lib/budgets/config";
import { defineWorkflow } from "../lib/workflow/define";
import { AGENT_SCRIPT } from "./support/agent-shape";
import { round } from "./support/numbers";
import { type Bench, type BenchOutcome, table } from "./support/report";

const DEFAULT_TPM = 2_600;
/** Tokens one agent run uses on the dev model (measured: 1,150 in + 131 out). */
const TOKENS_PER_RUN = 1_281;
const MULTIPLES = [1, 2, 3];

/** Each scenario has its own stack (its own dev model and limit), so each gets its own workflow. */
function agentWorkflow(provider: { openai?: ReturnType<typeof createOpenAI> }) {
  return defineWorkflow({
    name: "agent",
    input: z.object({ budget: z.boolean() }),
    retries: 10,
    async handler(run) {
      const result = await runAgent(run, {
        name: "bench",
        model: (provider.openai as ReturnType<typeof createOpenAI>)("gpt-4o-mini"),
        prompt: AGENT_SCRIPT,
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
}

export interface BudgetScenario {
  multiple: number;
  budgets: "on" | "off";
  runs: number;
  succeeded: number;
  provider429s: number;
  modelRequests: number;
  tokens: number;
  offeredVsTpm: number;
  seconds: number;
}

export async function budgetScenario(
  multiple: number,
  withBudget: boolean,
  tpm = DEFAULT_TPM,
): Promise<BudgetScenario> {
  const runs = Math.max(1, Math.round((multiple * tpm) / TOKENS_PER_RUN));
  const provider: { openai?: ReturnType<typeof createOpenAI> } = {};
  const t = await createTestStack({
    workflows: [agentWorkflow(provider)],
    model: { tokensPerMinute: tpm },
    ai: { budgets: withBudget ? { "gpt-4o-mini": { tokensPerMinute: tpm } } : {} },
  });
  provider.openai = t.openai;
  try {
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: runs }, () => t.trigger("agent", { budget: withBudget })),
    );
    const finished = await Promise.all(ids.map((id) => t.waitForRun(id, { timeoutMs: 600_000 })));
    const stats = t.dev.model.stats();
    const tokens = finished.reduce((sum, run) => sum + ((run.output as { tokens?: number })?.tokens ?? 0), 0);
    const scenario: BudgetScenario = {
      multiple,
      budgets: withBudget ? "on" : "off",
      runs,
      succeeded: finished.filter((run) => run.status === "succeeded").length,
      provider429s: stats.rateLimited,
      modelRequests: stats.requests,
      tokens,
      offeredVsTpm: round(tokens / tpm, 1),
      seconds: round((performance.now() - started) / 1000, 0),
    };
    console.log(`  budgets ${scenario.budgets} at ${multiple}× TPM: ${JSON.stringify(scenario)}`);
    return scenario;
  } finally {
    await t.stop();
  }
}

export const budgetsBench: Bench = {
  name: "budgets",
  title: "Budgets: provider 429s at 1×, 2×, 3× the model's TPM",
  method:
    `Concurrent 6-turn agent runs (≈${TOKENS_PER_RUN} tokens each) started at once against the dev model limited to ` +
    `${DEFAULT_TPM} tokens/min, enough runs to offer 1×, 2× and 3× that; once with a shared budget of ` +
    `${DEFAULT_TPM} tokens/min (each turn reserves before its call, durable sleep until refill), once without (provider 429 → ` +
    "durable sleep for retry-after). Real minutes: `@upstash/ratelimit` and the dev model read the wall clock, so " +
    "the six scenarios run at the same time, each on its own stack.",
  run: runBudgets,
};

/** All six at once: each waits on real minutes, not on the CPU, and has its own stack and model limit. */
async function runBudgets(): Promise<BenchOutcome> {
  const scenarios = await Promise.all(
    MULTIPLES.flatMap((multiple) => [budgetScenario(multiple, true), budgetScenario(multiple, false)]),
  );
  return budgetsOutcome(scenarios);
}

function budgetsOutcome(scenarios: readonly BudgetScenario[]): BenchOutcome {
  const rows = scenarios.map((s) => [
    `${s.multiple}×`,
    s.budgets,
    `${s.succeeded} / ${s.runs}`,
    s.provider429s,
    s.modelRequests,
    `${s.tokens} (${s.offeredVsTpm}× TPM)`,
    `${s.seconds} s`,
  ]);
  const worst = scenarios.find((s) => s.budgets === "on" && s.multiple === Math.max(...MULTIPLES));
  const shape = bucketShape(DEFAULT_TPM);
  const note =
    `Why budgets on take longer even at 1×: the bucket hands out at most ${shape.capacity} tokens at once ` +
    `(\`burstShare\`, 25% of the minute) and then ${shape.refillPerSecond} tokens a second, and each turn first ` +
    "reserves its estimate (prompt characters / 3 + the output allowance), refunded after the call. So work " +
    "offered in one burst is spread over about a minute or more (plus whole-second QStash sleeps), where the " +
    "dev model would have taken 1× at once. That pacing is what guarantees no sliding minute ever exceeds the " +
    "limit (2× and 3× off show the 429s it prevents); a larger `burstShare` finishes sooner and is safe only " +
    "when nothing else spends the same provider key.";
  return {
    figures: { tpm: DEFAULT_TPM, scenarios },
    markdown: [
      table(
        ["offered", "budgets", "finished", "provider 429s", "model requests", "tokens", "wall time"],
        rows,
      ),
      note,
    ],
    targets: [
      {
        target: "0 provider 429s with budgets on at 3× TPM",
        measured: worst
          ? `${worst.provider429s} 429s (${worst.succeeded}/${worst.runs} runs finished, ${worst.seconds} s)`
          : "-",
        met: worst ? worst.provider429s === 0 && worst.succeeded === worst.runs : "not measured",
      },
    ],
  };
}

async function main(): Promise<void> {
  const multiples = (process.argv[2] ?? MULTIPLES.join(",")).split(",").map(Number);
  const tpm = Number(process.argv[3] ?? DEFAULT_TPM);
  const scenarios: BudgetScenario[] = [];
  for (const multiple of multiples) {
    scenarios.push(await budgetScenario(multiple, true, tpm));
    scenarios.push(await budgetScenario(multiple, false, tpm));
  }
  console.table(scenarios);
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
