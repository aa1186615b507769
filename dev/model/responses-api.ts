/**
 * `POST /v1/responses`: the Responses API, which `@ai-sdk/openai`'s default `openai(modelId)` uses.
 * Output items are messages (`output_text`) or `function_call`s; streams follow OpenAI's event
 * sequence (`response.created` … `response.completed`, with `sequence_number`s).
 */
import type { CompletionApi, CompletionMeta, CompletionUsage, SseEvent } from "./completion-api";
import type { Decision } from "./conversation";
import { argumentDeltas, textDeltas } from "./deltas";
import { stableId } from "./ids";
import type { ItemStore } from "./item-store";
import { parseResponsesRequest, type ResponsesRequest } from "./responses-request";

interface MessageItem {
  id: string;
  type: "message";
  status: "completed" | "incomplete";
  role: "assistant";
  content: Array<{ type: "output_text"; text: string; annotations: []; logprobs: [] }>;
}

interface FunctionCallItem {
  id: string;
  type: "function_call";
  status: "completed";
  call_id: string;
  name: string;
  arguments: string;
}

type OutputItem = MessageItem | FunctionCallItem;
type ResponseStatus = "in_progress" | "completed" | "incomplete";

export function createResponsesApi(store: ItemStore): CompletionApi<ResponsesRequest> {
  const outputOf = (decision: Decision, meta: CompletionMeta) => {
    const items = outputItems(decision, meta);
    rememberItems(store, items);
    return items;
  };
  return {
    path: "/v1/responses",
    idPrefix: "resp",
    parse: (body) => parseResponsesRequest(body, store),
    respond: (request, decision, usage, meta) =>
      responseObject(request, meta, finalStatus(decision), outputOf(decision, meta), usage),
    streamEvents: (request, decision, usage, meta) =>
      streamEvents(request, decision, outputOf(decision, meta), usage, meta),
  };
}

function outputItems(decision: Decision, meta: CompletionMeta): OutputItem[] {
  if (decision.kind === "reply") {
    const text = decision.text;
    const status = decision.truncated ? "incomplete" : "completed";
    const content = [{ type: "output_text" as const, text, annotations: [] as [], logprobs: [] as [] }];
    return [{ id: stableId("msg", meta.id, "0"), type: "message", status, role: "assistant", content }];
  }
  return decision.calls.map((call, index) => ({
    id: stableId("fc", meta.id, String(index)),
    type: "function_call",
    status: "completed",
    call_id: call.callId,
    name: call.name,
    arguments: call.argumentsJson,
  }));
}

/** So that later requests can point back at these items with `item_reference`. */
function rememberItems(store: ItemStore, items: OutputItem[]): void {
  for (const item of items) {
    if (item.type === "message")
      store.remember(item.id, { kind: "assistant", text: item.content[0]?.text ?? "" });
    else
      store.remember(item.id, {
        kind: "tool-call",
        callId: item.call_id,
        name: item.name,
        argumentsJson: item.arguments,
      });
  }
}

function finalStatus(decision: Decision): ResponseStatus {
  return decision.kind === "reply" && decision.truncated ? "incomplete" : "completed";
}

function responseObject(
  request: ResponsesRequest,
  meta: CompletionMeta,
  status: ResponseStatus,
  output: OutputItem[],
  usage: CompletionUsage | null,
) {
  const { echo } = request;
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status,
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: echo.instructions ?? null,
    max_output_tokens: echo.max_output_tokens ?? null,
    model: meta.model,
    output,
    parallel_tool_calls: request.conversation.parallelToolCalls,
    previous_response_id: null,
    store: true,
    text: echo.text ?? { format: { type: "text" } },
    tool_choice: echo.tool_choice ?? "auto",
    tools: echo.tools ?? [],
    usage: usage && usageObject(usage),
    metadata: {},
  };
}

function usageObject(usage: CompletionUsage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

function streamEvents(
  request: ResponsesRequest,
  decision: Decision,
  output: OutputItem[],
  usage: CompletionUsage,
  meta: CompletionMeta,
): SseEvent[] {
  const payloads: Array<Record<string, unknown>> = [
    { type: "response.created", response: responseObject(request, meta, "in_progress", [], null) },
    { type: "response.in_progress", response: responseObject(request, meta, "in_progress", [], null) },
    ...output.flatMap((item, index) =>
      item.type === "message" ? messageEvents(item, index) : callEvents(item, index),
    ),
  ];
  const status = finalStatus(decision);
  payloads.push({
    type: status === "incomplete" ? "response.incomplete" : "response.completed",
    response: responseObject(request, meta, status, output, usage),
  });
  return payloads.map((payload, sequence) => ({
    event: String(payload.type),
    data: JSON.stringify({ ...payload, sequence_number: sequence }),
  }));
}

function messageEvents(item: MessageItem, outputIndex: number): Array<Record<string, unknown>> {
  const text = item.content[0]?.text ?? "";
  const at = { item_id: item.id, output_index: outputIndex, content_index: 0 };
  const emptyPart = { type: "output_text", text: "", annotations: [] };
  return [
    {
      type: "response.output_item.added",
      output_index: outputIndex,
      item: { ...item, status: "in_progress", content: [] },
    },
    { type: "response.content_part.added", ...at, part: emptyPart },
    ...textDeltas(text).map((delta) => ({ type: "response.output_text.delta", ...at, delta, logprobs: [] })),
    { type: "response.output_text.done", ...at, text, logprobs: [] },
    { type: "response.content_part.done", ...at, part: { ...emptyPart, text } },
    { type: "response.output_item.done", output_index: outputIndex, item },
  ];
}

function callEvents(item: FunctionCallItem, outputIndex: number): Array<Record<string, unknown>> {
  const at = { item_id: item.id, output_index: outputIndex };
  return [
    {
      type: "response.output_item.added",
      output_index: outputIndex,
      item: { ...item, status: "in_progress", arguments: "" },
    },
    ...argumentDeltas(item.arguments).map((delta) => ({
      type: "response.function_call_arguments.delta",
      ...at,
      delta,
    })),
    { type: "response.function_call_arguments.done", ...at, arguments: item.arguments },
    { type: "response.output_item.done", output_index: outputIndex, item },
  ];
}
