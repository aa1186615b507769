import type { LanguageModel, ModelMessage, ToolSet } from "ai";
import type { z } from "zod";
import type { ProviderView } from "../budgets/budgets";

/** Tokens of one model call, or summed over a run of the agent. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface AgentToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

export interface AgentToolResult extends AgentToolCall {
  output: unknown;
  /** Set when a human declined the call (or the approval timed out): the tool did not run. */
  declined?: { reason: "declined" | "timeout"; note?: string };
  /** Set when the tool threw on its step's last attempt: the model is told, the run goes on. */
  error?: string;
}

/** One model call, as JSON (it is a step result): the same shape whether inline or offloaded. */
export interface TurnResult {
  text: string;
  toolCalls: AgentToolCall[];
  finishReason: string;
  usage: TokenUsage;
  /** The model id the provider reported. */
  model: string;
  /** Messages to append to the conversation (the assistant's reply). */
  responseMessages: ModelMessage[];
  /** Structured output, when `output` was given and this turn answered without tool calls. */
  output?: unknown;
  /** The provider's `x-ratelimit-*` headers of this call: its own view of the key's minute. */
  rateLimit?: ProviderView;
}

/** A model call that the provider refused for rate limiting; the agent sleeps this long, then retries. */
export interface RateLimited {
  rateLimited: { status: number; retryAfterMs: number; message: string };
  rateLimit?: ProviderView;
}

export type TurnOutcome = TurnResult | RateLimited;

export function isRateLimited(outcome: TurnOutcome): outcome is RateLimited {
  return "rateLimited" in outcome;
}

export interface AgentState {
  turn: number;
  turns: TurnResult[];
  toolResults: AgentToolResult[];
}

export interface AgentBudgetOptions {
  /** Budget per tenant (e.g. a customer id): each tenant gets its own bucket with the model's limits. */
  tenant?: string;
  /**
   * Output tokens to reserve per turn on top of the prompt (default: maxOutputTokens, else 512). The
   * no-429 guarantee holds when no answer is longer: set maxOutputTokens to make that certain.
   */
  reserveOutputTokens?: number;
}

export interface AgentOptions<TOOLS extends ToolSet = ToolSet, OUTPUT = unknown> {
  /** Names the agent's steps (`<name>:turn-1`, ...); unique within the workflow. */
  name: string;
  model: LanguageModel;
  system?: string;
  prompt?: string;
  messages?: ModelMessage[];
  tools?: TOOLS;
  /** Hard cap on model calls (default 10). */
  maxTurns?: number;
  /** Stop early after a turn (the default stop is a turn without tool calls). */
  stopWhen?: (state: AgentState) => boolean;
  /** Structured final answer, validated with this zod schema. */
  output?: z.ZodType<OUTPUT>;
  /** "inline" (default): the model is called inside a step. "offload": through `context.call`. */
  mode?: "inline" | "offload";
  /** Inline only: send text deltas to the run's event channel while the model writes. */
  stream?: boolean;
  /** Use the model's budget (when one is configured for it); `false` skips it. */
  budget?: AgentBudgetOptions | false;
  maxOutputTokens?: number;
  temperature?: number;
  /** How long an approval may wait before the call is declined (default 24 h). */
  approvalTimeoutSeconds?: number;
  /**
   * A tool that throws fails its step, and QStash retries the step with the run's retries. On the last
   * attempt, `"model"` (default) hands the error to the model as the tool's result and the run goes on
   * (what the AI SDK does with a failing tool); `"fail"` lets the step fail the run.
   */
  toolErrors?: "model" | "fail";
  /** Offload: how long QStash waits for the model (default 15 min). */
  offloadTimeoutSeconds?: number;
}

export interface AgentResult<OUTPUT = unknown> {
  text: string;
  output?: OUTPUT;
  turns: number;
  toolCalls: AgentToolCall[];
  toolResults: AgentToolResult[];
  usage: TokenUsage;
  finishReason: string;
  /** The whole conversation, to continue it later. */
  messages: ModelMessage[];
}
