/**
 * The API-neutral view of a request that the policy decides on. Both the Responses API and the
 * Chat Completions adapters translate their wire format into this and render a `Decision` back.
 */
import type { JsonSchema } from "./json-schema";

export type Turn =
  | { kind: "instruction"; text: string }
  | { kind: "user"; text: string }
  | { kind: "assistant"; text: string }
  | { kind: "tool-call"; callId: string; name: string; argumentsJson: string }
  | { kind: "tool-result"; callId: string; output: string };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export type ToolChoice =
  | { mode: "auto" }
  | { mode: "none" }
  | { mode: "required" }
  | { mode: "tool"; name: string };

export type ReplyFormat =
  | { kind: "text" }
  | { kind: "json-object" }
  | { kind: "json-schema"; name: string; schema: JsonSchema };

export interface Conversation {
  turns: Turn[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  format: ReplyFormat;
  parallelToolCalls: boolean;
  maxOutputTokens: number | undefined;
  /** Images, files and audio parts: not read, only counted for usage. */
  mediaParts: number;
}

export interface PlannedToolCall {
  callId: string;
  name: string;
  /** Serialized JSON, as the APIs carry it. */
  argumentsJson: string;
}

export type Decision =
  | { kind: "tool-calls"; calls: PlannedToolCall[] }
  /** `truncated`: cut at `maxOutputTokens`, reported as finish reason "length" / incomplete. */
  | { kind: "reply"; text: string; truncated: boolean };

/** Valid function names, as OpenAI enforces them. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
