/** Validates a `POST /v1/responses` body and translates it into a Conversation. */
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
import type { ItemStore } from "./item-store";
import { isPlainObject, type JsonSchemaObject } from "./json-schema";
import { assertSchema, assertValidSchema, formatParam, parseRequestBody } from "./request-validation";
import { objectSchemaProblem } from "./schema-lint";

const SchemaObject = z.record(z.string(), z.unknown());

const FunctionTool = z.looseObject({
  type: z.literal("function", { error: 'the dev model supports only "function" tools' }),
  name: z.string().regex(TOOL_NAME_PATTERN, { error: "must match ^[a-zA-Z0-9_-]{1,64}$" }),
  description: z.string().nullish(),
  parameters: SchemaObject.nullish(),
});

const ToolChoiceField = z.union(
  [
    z.enum(["auto", "none", "required"]),
    z.looseObject({ type: z.literal("function"), name: z.string() }),
    z.looseObject({
      type: z.literal("allowed_tools"),
      mode: z.enum(["auto", "required"]),
      tools: z.array(z.looseObject({ name: z.string() })),
    }),
  ],
  { error: 'expected "auto", "none", "required" or {"type": "function", "name": …}' },
);

const TextFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({ type: z.literal("json_schema"), name: z.string().min(1), schema: SchemaObject }),
]);

const ResponsesBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())], {
    error: "expected a string or an array of input items",
  }),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(FunctionTool).nullish(),
  tool_choice: ToolChoiceField.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.int().positive().nullish(),
  text: z.looseObject({ format: TextFormat.nullish() }).nullish(),
});
type ResponsesBody = z.infer<typeof ResponsesBody>;

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const MessageItem = z.looseObject({
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(ContentPart)], {
    error: "expected a string or an array of content parts",
  }),
});
const FunctionCallItem = z.looseObject({ call_id: z.string(), name: z.string(), arguments: z.string() });
const FunctionCallOutputItem = z.looseObject({
  call_id: z.string(),
  output: z.union([z.string(), z.array(ContentPart)], {
    error: "expected a string or an array of content parts",
  }),
});
const ItemReference = z.looseObject({ id: z.string() });

export interface ResponsesRequest extends ParsedCompletionRequest {
  /** Echoed in the response object, as OpenAI does. */
  echo: Pick<ResponsesBody, "instructions" | "tools" | "tool_choice" | "text" | "max_output_tokens">;
}

export function parseResponsesRequest(body: unknown, store: ItemStore): ResponsesRequest {
  const parsed = parseRequestBody(ResponsesBody, body);
  const tools = (parsed.tools ?? []).map((tool, index) => {
    const parameters = tool.parameters ?? { type: "object", properties: {} };
    assertValidSchema(objectSchemaProblem(parameters, `tools[${index}].parameters`));
    return { name: tool.name, description: tool.description ?? "", parameters };
  });
  const { turns, mediaParts } = readInput(parsed, store);
  const conversation: Conversation = {
    turns,
    tools: allowedTools(parsed, tools),
    toolChoice: readToolChoice(parsed, tools),
    format: readFormat(parsed),
    parallelToolCalls: parsed.parallel_tool_calls ?? true,
    maxOutputTokens: parsed.max_output_tokens ?? undefined,
    mediaParts,
  };
  const { instructions, tools: rawTools, tool_choice, text, max_output_tokens } = parsed;
  return {
    model: parsed.model,
    stream: parsed.stream === true,
    conversation,
    echo: { instructions, tools: rawTools, tool_choice, text, max_output_tokens },
  };
}

function readInput(body: ResponsesBody, store: ItemStore): { turns: Turn[]; mediaParts: number } {
  const turns: Turn[] = body.instructions ? [{ kind: "instruction", text: body.instructions }] : [];
  if (typeof body.input === "string")
    return { turns: [...turns, { kind: "user", text: body.input }], mediaParts: 0 };
  let mediaParts = 0;
  body.input.forEach((item, index) => {
    const read = readItem(item, `input[${index}]`, store);
    turns.push(...read.turns);
    mediaParts += read.mediaParts;
  });
  return { turns, mediaParts };
}

function readItem(item: unknown, param: string, store: ItemStore): { turns: Turn[]; mediaParts: number } {
  if (!isPlainObject(item)) throw InvalidRequestError.invalid(param, "expected an input item object.");
  const type = item.type ?? "message";
  switch (type) {
    case "message": {
      const message = parseItem(MessageItem, item, param);
      const { text, mediaParts } = contentText(message.content);
      const kind =
        message.role === "user" ? "user" : message.role === "assistant" ? "assistant" : "instruction";
      return { turns: [{ kind, text }], mediaParts };
    }
    case "function_call": {
      const call = parseItem(FunctionCallItem, item, param);
      return {
        turns: [{ kind: "tool-call", callId: call.call_id, name: call.name, argumentsJson: call.arguments }],
        mediaParts: 0,
      };
    }
    case "function_call_output": {
      const result = parseItem(FunctionCallOutputItem, item, param);
      const { text, mediaParts } = contentText(result.output);
      return { turns: [{ kind: "tool-result", callId: result.call_id, output: text }], mediaParts };
    }
    case "item_reference": {
      const recalled = store.recall(parseItem(ItemReference, item, param).id);
      return { turns: recalled ? [recalled] : [], mediaParts: 0 };
    }
    default:
      // Reasoning items and provider-side tool items carry nothing the dev model reads.
      return { turns: [], mediaParts: 0 };
  }
}

function parseItem<T extends z.ZodType>(schema: T, item: Record<string, unknown>, param: string): z.infer<T> {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = `${param}${issue && issue.path.length > 0 ? `.${formatParam(issue.path)}` : ""}`;
  const missing = issue?.path.length === 1 && item[String(issue.path[0])] === undefined;
  throw missing
    ? InvalidRequestError.missing(field)
    : InvalidRequestError.invalid(field, issue?.message ?? "invalid");
}

function readToolChoice(body: ResponsesBody, tools: Array<{ name: string }>): ToolChoice {
  const choice = body.tool_choice;
  if (choice === undefined || choice === null || choice === "auto") return { mode: "auto" };
  if (choice === "none" || choice === "required") return { mode: choice };
  if (choice.type === "allowed_tools") return { mode: choice.mode };
  if (!tools.some((tool) => tool.name === choice.name)) {
    throw InvalidRequestError.invalid("tool_choice.name", `no function named '${choice.name}' in 'tools'.`);
  }
  return { mode: "tool", name: choice.name };
}

/** `tool_choice: {type: "allowed_tools"}` narrows the tools the model may call. */
function allowedTools<T extends { name: string }>(body: ResponsesBody, tools: T[]): T[] {
  const choice = body.tool_choice;
  if (typeof choice !== "object" || choice === null || choice.type !== "allowed_tools") return tools;
  const allowed = new Set(choice.tools.map((tool) => tool.name));
  return tools.filter((tool) => allowed.has(tool.name));
}

function readFormat(body: ResponsesBody): ReplyFormat {
  const format = body.text?.format;
  if (!format || format.type === "text") return { kind: "text" };
  if (format.type === "json_object") return { kind: "json-object" };
  assertSchema(format.schema, "text.format.schema");
  return { kind: "json-schema", name: format.name, schema: format.schema as JsonSchemaObject };
}
