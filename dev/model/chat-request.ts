/** Validates a `POST /v1/chat/completions` body and translates it into a Conversation. */
import { z } from "zod";
import type { ParsedCompletionRequest } from "./completion-api";
import { contentText } from "./content";
import {
  type Conversation,
  type ReplyFormat,
  TOOL_NAME_PATTERN,
  type ToolChoice,
  type Turn,
} from "./conversation";
import { InvalidRequestError } from "./errors";
import type { JsonSchemaObject } from "./json-schema";
import { assertSchema, assertValidSchema, parseRequestBody } from "./request-validation";
import { objectSchemaProblem } from "./schema-lint";

const SchemaObject = z.record(z.string(), z.unknown());
const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const Content = z.union([z.string(), z.array(ContentPart)], {
  error: "expected a string or an array of content parts",
});

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const Message = z.discriminatedUnion(
  "role",
  [
    z.looseObject({ role: z.enum(["system", "developer"]), content: Content }),
    z.looseObject({ role: z.literal("user"), content: Content }),
    z.looseObject({
      role: z.literal("assistant"),
      content: Content.nullish(),
      tool_calls: z.array(ToolCall).nullish(),
    }),
    z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: Content }),
  ],
  { error: 'expected role "system", "developer", "user", "assistant" or "tool"' },
);
type Message = z.infer<typeof Message>;

const FunctionTool = z.looseObject({
  type: z.literal("function", { error: 'the dev model supports only "function" tools' }),
  function: z.looseObject({
    name: z.string().regex(TOOL_NAME_PATTERN, { error: "must match ^[a-zA-Z0-9_-]{1,64}$" }),
    description: z.string().nullish(),
    parameters: SchemaObject.nullish(),
  }),
});

const ToolChoiceField = z.union(
  [
    z.enum(["auto", "none", "required"]),
    z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  ],
  { error: 'expected "auto", "none", "required" or {"type": "function", "function": {"name": …}}' },
);

const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({ name: z.string().min(1), schema: SchemaObject }),
  }),
]);

const ChatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(FunctionTool).nullish(),
  tool_choice: ToolChoiceField.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  response_format: ResponseFormat.nullish(),
});
type ChatBody = z.infer<typeof ChatBody>;

export interface ChatRequest extends ParsedCompletionRequest {
  /** `stream_options.include_usage`: send a last chunk with `usage`. */
  includeUsage: boolean;
}

export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = parseRequestBody(ChatBody, body);
  const tools = (parsed.tools ?? []).map((tool, index) => {
    const parameters = tool.function.parameters ?? { type: "object", properties: {} };
    assertValidSchema(objectSchemaProblem(parameters, `tools[${index}].function.parameters`));
    return { name: tool.function.name, description: tool.function.description ?? "", parameters };
  });
  let mediaParts = 0;
  const turns = parsed.messages.flatMap((message) => {
    const read = readMessage(message);
    mediaParts += read.mediaParts;
    return read.turns;
  });
  const conversation: Conversation = {
    turns,
    tools,
    toolChoice: readToolChoice(parsed, tools),
    format: readFormat(parsed),
    parallelToolCalls: parsed.parallel_tool_calls ?? true,
    maxOutputTokens: parsed.max_completion_tokens ?? parsed.max_tokens ?? undefined,
    mediaParts,
  };
  return {
    model: parsed.model,
    stream: parsed.stream === true,
    includeUsage: parsed.stream_options?.include_usage === true,
    conversation,
  };
}

function readMessage(message: Message): { turns: Turn[]; mediaParts: number } {
  switch (message.role) {
    case "system":
    case "developer":
    case "user": {
      const { text, mediaParts } = contentText(message.content);
      return { turns: [{ kind: message.role === "user" ? "user" : "instruction", text }], mediaParts };
    }
    case "assistant": {
      const { text, mediaParts } = contentText(message.content ?? "");
      const calls: Turn[] = (message.tool_calls ?? []).map((call) => ({
        kind: "tool-call",
        callId: call.id,
        name: call.function.name,
        argumentsJson: call.function.arguments,
      }));
      return { turns: text === "" ? calls : [{ kind: "assistant", text }, ...calls], mediaParts };
    }
    case "tool": {
      const { text, mediaParts } = contentText(message.content);
      return { turns: [{ kind: "tool-result", callId: message.tool_call_id, output: text }], mediaParts };
    }
  }
}

function readToolChoice(body: ChatBody, tools: Array<{ name: string }>): ToolChoice {
  const choice = body.tool_choice;
  if (choice === undefined || choice === null || choice === "auto") return { mode: "auto" };
  if (choice === "none" || choice === "required") return { mode: choice };
  const name = choice.function.name;
  if (!tools.some((tool) => tool.name === name)) {
    throw InvalidRequestError.invalid("tool_choice.function.name", `no function named '${name}' in 'tools'.`);
  }
  return { mode: "tool", name };
}

function readFormat(body: ChatBody): ReplyFormat {
  const format = body.response_format;
  if (!format || format.type === "text") return { kind: "text" };
  if (format.type === "json_object") return { kind: "json-object" };
  assertSchema(format.json_schema.schema, "response_format.json_schema.schema");
  return {
    kind: "json-schema",
    name: format.json_schema.name,
    schema: format.json_schema.schema as JsonSchemaObject,
  };
}
