import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModel } from "ai";
import { type AiConfig, parseBudgets, parsePrices } from "overtime/ai";
import { type Env, env } from "./env";

/**
 * The app's default model, from `OPENAI_API_KEY` / `OPENAI_BASE_URL` / `OVERTIME_MODEL` (the dev model
 * locally). Tests create their models explicitly instead, so nothing leaks between test files.
 */
export function defaultModel(id?: string): LanguageModel {
  const config = env();
  const openai = createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL });
  return openai(id ?? config.OVERTIME_MODEL);
}

/** Budgets, prices and the claim check threshold from the parsed environment. */
export function aiConfigFromEnv(config: Env): AiConfig {
  return {
    budgets: parseBudgets(config.OVERTIME_BUDGETS),
    prices: parsePrices(config.OVERTIME_PRICES),
    claimCheck: { thresholdBytes: config.OVERTIME_CLAIM_CHECK_BYTES },
    functionMaxDurationSeconds: config.OVERTIME_MAX_DURATION,
  };
}
