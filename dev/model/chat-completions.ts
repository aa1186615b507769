/**
 * `POST /v1/chat/completions`, which `@ai-sdk/openai`'s `openai.chat(modelId)` uses: one choice,
 * `tool_calls` on the assistant message, and `chat.completion.chunk` streams ending in `[DONE]`.
 */
import { type ChatRequest, parseChatRequest } from "./chat-request";
import type { CompletionApi, CompletionMeta, CompletionUsage, SseEvent } from "./completion-api";
import type { Decision, PlannedToolCall } from "./conversation";
import { argumentDeltas, textDeltas } from "./deltas";

/** Identifies the dev model in `system_fingerprint`, where OpenAI names its backend build. */
const SYSTEM_FINGERPRINT = "fp_overtime_dev_model";

export const chatCompletionsApi: CompletionApi<ChatRequest> = {
  path: "/v1/chat/completions",
  idPrefix: "chatcmpl",
  parse: parseChatRequest,
  respond: (_request, decision, usage, meta) => ({
    id: meta.id,
    object: "chat.completion",
    created: meta.createdAt,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [
      {
        index: 0,
        message: assistantMessage(decision),
        logprobs: null,
        finish_reason: finishReason(decision),
      },
    ],
    usage: usageObject(usage),
  }),
  streamEvents,
};

function assistantMessage(decision: Decision) {
  if (decision.kind === "reply")
    return { role: "assistant", content: decision.text, refusal: null, annotations: [] };
  return {
    role: "assistant",
    content: null,
    refusal: null,
    annotations: [],
    tool_calls: decision.calls.map((call) => ({
      id: call.callId,
      type: "function",
      function: { name: call.name, arguments: call.argumentsJson },
    })),
  };
}

function finishReason(decision: Decision): "stop" | "length" | "tool_calls" {
  if (decision.kind === "tool-calls") return "tool_calls";
  return decision.truncated ? "length" : "stop";
}

function usageObject(usage: CompletionUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function streamEvents(
  request: ChatRequest,
  decision: Decision,
  usage: CompletionUsage,
  meta: CompletionMeta,
): SseEvent[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.createdAt,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(request.includeUsage ? { usage: null } : {}),
  });
  const chunks: unknown[] = [
    chunk({ role: "assistant", content: decision.kind === "reply" ? "" : null, refusal: null }),
    ...(decision.kind === "reply"
      ? textDeltas(decision.text).map((content) => chunk({ content }))
      : decision.calls.flatMap((call, index) =>
          toolCallDeltas(call, index).map((toolCall) => chunk({ tool_calls: [toolCall] })),
        )),
    chunk({}, finishReason(decision)),
  ];
  if (request.includeUsage) chunks.push({ ...chunk({}), choices: [], usage: usageObject(usage) });
  return [...chunks.map((data) => ({ data: JSON.stringify(data) })), { data: "[DONE]" }];
}

/** The first delta names the call; the rest carry slices of its arguments. */
function toolCallDeltas(call: PlannedToolCall, index: number): Array<Record<string, unknown>> {
  return [
    { index, id: call.callId, type: "function", function: { name: call.name, arguments: "" } },
    ...argumentDeltas(call.argumentsJson).map((slice) => ({ index, function: { arguments: slice } })),
  ];
}
