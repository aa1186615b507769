import type { StepRecord } from "../runs/store";
import { type PriceTable, priceOf } from "./pricing";

export interface StepCost {
  messages: number;
  inputTokens: number;
  outputTokens: number;
  dollars: number;
}

export interface RunCost {
  /** QStash messages, by Upstash's billing rules (see `messagesForStep`). */
  messages: { total: number; byKind: Record<string, number> };
  /** Redis commands the toolkit sent for this run (tracking, budgets, claim check, approvals, streaming). */
  redisCommands: number;
  tokens: { input: number; output: number; byModel: Record<string, { input: number; output: number }> };
  dollars: { qstash: number; redis: number; llm: number; total: number };
  /** Models that produced tokens but have no price in the table (priced at 0). */
  unpricedModels?: string[];
}

/** The message that starts the run. */
const TRIGGER_MESSAGES = 1;

/**
 * QStash messages one step cost: run, sleep and wait = 1, call = 2 (request + callback), a step of a
 * parallel group +1 (its plan message), and every retry of the step's delivery +1.
 */
export function messagesForStep(step: Pick<StepRecord, "type" | "attempt" | "parallel">): number {
  const base = step.type === "call" ? 2 : 1;
  const parallel = step.parallel ? 1 : 0;
  return base + parallel + Math.max(0, step.attempt - 1);
}

export function stepCost(step: StepRecord, prices: PriceTable): StepCost {
  const messages = messagesForStep(step);
  const usage = step.usage;
  const price = usage ? priceOf(prices, usage.model) : undefined;
  const llm = usage && price ? tokenDollars(usage.inputTokens, usage.outputTokens, price) : 0;
  return {
    messages,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    dollars: messages * prices.qstashPerMessage + llm,
  };
}

/** A run's cost from its step records and the Redis commands counted for it. */
export function runCost(steps: StepRecord[], redisCommands: number, prices: PriceTable): RunCost {
  const byKind: Record<string, number> = { trigger: TRIGGER_MESSAGES };
  const byModel: Record<string, { input: number; output: number }> = {};
  let llm = 0;
  const unpriced = new Set<string>();
  for (const step of steps) {
    byKind[step.type] = (byKind[step.type] ?? 0) + messagesForStep(step);
    if (!step.usage) continue;
    const { model, inputTokens, outputTokens } = step.usage;
    const entry = byModel[model] ?? { input: 0, output: 0 };
    byModel[model] = { input: entry.input + inputTokens, output: entry.output + outputTokens };
    const price = priceOf(prices, model);
    if (price) llm += tokenDollars(inputTokens, outputTokens, price);
    else if (inputTokens + outputTokens > 0) unpriced.add(model);
  }
  const total = Object.values(byKind).reduce((sum, count) => sum + count, 0);
  const qstash = total * prices.qstashPerMessage;
  const redis = redisCommands * prices.redisPerCommand;
  const models = Object.values(byModel);
  return {
    messages: { total, byKind },
    redisCommands,
    tokens: {
      input: models.reduce((sum, m) => sum + m.input, 0),
      output: models.reduce((sum, m) => sum + m.output, 0),
      byModel,
    },
    dollars: { qstash, redis, llm, total: qstash + redis + llm },
    ...(unpriced.size > 0 && { unpricedModels: [...unpriced] }),
  };
}

function tokenDollars(
  input: number,
  output: number,
  price: { inputPerMillion: number; outputPerMillion: number },
) {
  return (input * price.inputPerMillion + output * price.outputPerMillion) / 1_000_000;
}
