import type { StepUsage } from "../runs/store";

/**
 * Reads the tokens a step spent from its result, for cost accounting: an inline turn's result, or
 * the provider response an offloaded turn recorded (`context.call`). Other results have none.
 */
export function usageOfStepResult(result: unknown): StepUsage | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  return turnUsage(result) ?? callUsage(result);
}

function turnUsage(result: object): StepUsage | undefined {
  const turn = result as { model?: unknown; usage?: { inputTokens?: unknown; outputTokens?: unknown } };
  if (typeof turn.model !== "string" || !("responseMessages" in result) || !turn.usage) return undefined;
  return {
    model: turn.model,
    inputTokens: num(turn.usage.inputTokens),
    outputTokens: num(turn.usage.outputTokens),
  };
}

/** OpenAI Responses (`input_tokens`) and Chat Completions (`prompt_tokens`) bodies. */
function callUsage(result: object): StepUsage | undefined {
  const call = result as { status?: unknown; body?: unknown; header?: unknown };
  if (typeof call.status !== "number" || !("header" in result)) return undefined;
  const body = typeof call.body === "string" ? safeParse(call.body) : call.body;
  const usage = (body as { usage?: Record<string, unknown> } | undefined)?.usage;
  const model = (body as { model?: unknown } | undefined)?.model;
  if (!usage || typeof model !== "string") return undefined;
  return {
    model,
    inputTokens: num(usage.input_tokens ?? usage.prompt_tokens),
    outputTokens: num(usage.output_tokens ?? usage.completion_tokens),
  };
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
