import {
  APICallError,
  generateText,
  type LanguageModel,
  type ModelMessage,
  Output,
  streamText,
  type ToolSet,
} from "ai";
import type { z } from "zod";
import type { ProviderView } from "../budgets/budgets";
import type { AgentToolCall, TokenUsage, TurnOutcome, TurnResult } from "./types";

/** Everything one model call needs; the same for inline and offloaded turns. */
export interface TurnSpec {
  model: LanguageModel;
  system?: string;
  messages: ModelMessage[];
  /** Tools as the model sees them: no `execute`, so the SDK returns the calls instead of running them. */
  tools: ToolSet;
  output?: z.ZodType;
  maxOutputTokens?: number;
  temperature?: number;
}

/** Default wait after a rate limit or server error without a retry-after header. */
const DEFAULT_RETRY_AFTER_MS = 5_000;

/** The generateText/streamText options of a turn: one model call, no SDK retries (the workflow retries). */
function callSettings(spec: TurnSpec, abortSignal?: AbortSignal) {
  return {
    model: spec.model,
    abortSignal,
    system: spec.system,
    messages: spec.messages,
    tools: Object.keys(spec.tools).length > 0 ? spec.tools : undefined,
    maxRetries: 0,
    maxOutputTokens: spec.maxOutputTokens,
    temperature: spec.temperature,
    ...(spec.output && { output: Output.object({ schema: spec.output }) }),
  };
}

/** Calls the model once, inside the current step. A 429 or 5xx becomes a `rateLimited` outcome. */
export async function callModel(
  spec: TurnSpec,
  onDelta?: (text: string) => void,
  signal?: AbortSignal,
): Promise<TurnOutcome> {
  try {
    if (!onDelta) return await toTurnResult(await generateText(callSettings(spec, signal)), spec);
    return await streamTurn(spec, onDelta, signal);
  } catch (error) {
    const limited = retryableFailure(error);
    if (limited) return limited;
    throw error;
  }
}

async function streamTurn(
  spec: TurnSpec,
  onDelta: (text: string) => void,
  signal?: AbortSignal,
): Promise<TurnResult> {
  const result = streamText({ ...callSettings(spec, signal), onError: () => {} });
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") onDelta(part.text);
    if (part.type === "error") throw part.error;
  }
  return toTurnResult(result, spec);
}

/** The parts of a generateText or streamText result a turn keeps (stream results hold promises). */
interface ModelCallResult {
  text: string | PromiseLike<string>;
  toolCalls: ReadonlyArray<{ toolCallId: string; toolName: string; input: unknown }> | PromiseLike<unknown>;
  finishReason: string | PromiseLike<string>;
  usage: UsageLike | PromiseLike<UsageLike>;
  response: ResponseLike | PromiseLike<ResponseLike>;
  output: unknown;
}

interface ResponseLike {
  modelId: string;
  messages: ModelMessage[];
  headers?: Record<string, string | undefined>;
}

interface UsageLike {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** Reduces an SDK result to plain JSON (what the step stores and replays). */
export async function toTurnResult(result: ModelCallResult, spec: TurnSpec): Promise<TurnResult> {
  const toolCalls = (await result.toolCalls) as AgentToolCall[];
  const usage = (await result.usage) as UsageLike;
  const response = await result.response;
  const turn: TurnResult = {
    text: await result.text,
    toolCalls: toolCalls.map(({ toolCallId, toolName, input }) => ({ toolCallId, toolName, input })),
    finishReason: await result.finishReason,
    usage: tokenUsage(usage),
    model: response.modelId,
    responseMessages: response.messages,
  };
  const rateLimit = providerView(response.headers ?? {});
  if (rateLimit) turn.rateLimit = rateLimit;
  if (spec.output && turn.toolCalls.length === 0) turn.output = await structuredOutput(result);
  return JSON.parse(JSON.stringify(turn)) as TurnResult;
}

async function structuredOutput(result: ModelCallResult): Promise<unknown> {
  try {
    return await result.output;
  } catch {
    // No parsable structured answer (e.g. the model stopped for length): the text is still returned.
    return undefined;
  }
}

function tokenUsage(usage: UsageLike): TokenUsage {
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: usage.totalTokens ?? inputTokens + outputTokens };
}

/** A provider answer worth waiting out: 429 (rate limit) or a 5xx, with the provider's retry-after. */
export function retryableFailure(error: unknown): TurnOutcome | undefined {
  const apiError = findApiCallError(error);
  if (!apiError?.statusCode) return undefined;
  return retryableStatus(apiError.statusCode, apiError.responseHeaders ?? {}, apiError.message);
}

export function retryableStatus(
  status: number,
  headers: Record<string, string | undefined>,
  message: string,
): TurnOutcome | undefined {
  if (status !== 429 && status < 500) return undefined;
  const rateLimit = providerView(headers);
  return {
    rateLimited: { status, retryAfterMs: retryAfterMs(headers), message: message.slice(0, 300) },
    ...(rateLimit && { rateLimit }),
  };
}

/** OpenAI's `x-ratelimit-{limit,remaining}-{tokens,requests}`: the provider's own view of the key's minute. */
export function providerView(headers: Record<string, string | undefined>): ProviderView | undefined {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const read = (name: string) => {
    const value = Number(lower[`x-ratelimit-${name}`]);
    return lower[`x-ratelimit-${name}`] !== undefined && Number.isFinite(value) ? value : undefined;
  };
  const view: ProviderView = {
    limitTokens: read("limit-tokens"),
    remainingTokens: read("remaining-tokens"),
    limitRequests: read("limit-requests"),
    remainingRequests: read("remaining-requests"),
  };
  const known = Object.entries(view).filter(([, value]) => value !== undefined);
  return known.length > 0 ? (Object.fromEntries(known) as ProviderView) : undefined;
}

function retryAfterMs(headers: Record<string, string | undefined>): number {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number(lower["retry-after-ms"]);
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(lower["retry-after"]);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1_000;
  const date = Date.parse(lower["retry-after"] ?? "");
  if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  return DEFAULT_RETRY_AFTER_MS;
}

function findApiCallError(error: unknown): APICallError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (APICallError.isInstance(current)) return current;
    const next = current as { lastError?: unknown; cause?: unknown };
    current = next.lastError ?? next.cause;
  }
  return undefined;
}

export { callSettings as turnCallSettings };
