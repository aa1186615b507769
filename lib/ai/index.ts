/**
 * The AI layer: durable agent loops on the Vercel AI SDK, where each model turn and each tool call is a
 * workflow step, with human approvals, shared token budgets and per-run cost.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from "overtime";
 * import { runAgent } from "overtime/ai";
 * import { openai } from "@ai-sdk/openai";
 *
 * export const summarize = defineWorkflow({
 *   name: "summarize",
 *   input: z.object({ text: z.string() }),
 *   handler: async (args) => {
 *     const run = await runAgent(args, { model: openai("gpt-4o-mini"), prompt: `Summarize: ${args.input.text}` });
 *     return run.text;
 *   },
 * });
 * ```
 */

export { type BucketStatus, type BudgetStatus, BudgetTooSmallError } from "../budgets/budgets";
export { type BudgetConfig, type BudgetLimits, parseBudgets } from "../budgets/config";
export type { RunCost, StepCost } from "../cost/compute";
export { DEFAULT_PRICES, type ModelPrice, type PriceTable, parsePrices, priceTable } from "../cost/pricing";
export type { AiConfig } from "../workflow/services";
export { type AgentRun, runAgent } from "./agent";
export { type ApprovalRecord, type ApprovalStatus, approvalEventId, type PendingApproval } from "./approvals";
export * from "./errors";
export { estimatePromptTokens } from "./tokens";
export type * from "./types";
