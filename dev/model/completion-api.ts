/** What the Responses API and Chat Completions adapters share with the endpoint that runs them. */
import type { Conversation, Decision } from "./conversation";

export interface ParsedCompletionRequest {
  /** The model id as requested. */
  model: string;
  stream: boolean;
  conversation: Conversation;
}

export interface CompletionUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface CompletionMeta {
  /** Derived from the request body, so identical requests get identical ids. */
  id: string;
  /** Unix seconds (the only clock-dependent field, and never part of the content). */
  createdAt: number;
  /** The `model` field to report: the requested id plus the not-an-LLM suffix. */
  model: string;
}

/** One server-sent event; `data` is already serialized. */
export interface SseEvent {
  event?: string;
  data: string;
}

export interface CompletionApi<Request extends ParsedCompletionRequest> {
  /** The route, e.g. `/v1/responses`. */
  readonly path: string;
  /** Prefix of response ids, e.g. `resp`. */
  readonly idPrefix: string;
  /** Validates and translates a request body; throws InvalidRequestError naming the bad field. */
  parse(body: unknown): Request;
  /** The non-streaming response body. */
  respond(request: Request, decision: Decision, usage: CompletionUsage, meta: CompletionMeta): unknown;
  /** The full event sequence of the streaming response. */
  streamEvents(
    request: Request,
    decision: Decision,
    usage: CompletionUsage,
    meta: CompletionMeta,
  ): SseEvent[];
}
