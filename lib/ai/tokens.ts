import { asSchema, type ModelMessage, type ToolSet } from "ai";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type { z } from "zod";

/**
 * What a call will count against the provider's tokens-per-minute, from above: the prompt counted with
 * o200k_base (the encoding of OpenAI's GPT-4o / 4.1 / 5 family, and of the dev model) plus the output
 * allowance. OpenAI's chat framing costs about 3 tokens per message and 3 to prime the reply; each
 * message, tool call and tool result is charged 4 here, each tool its whole JSON definition (name,
 * description, input schema) and the output schema its JSON, then a small margin on top.
 */
export interface CallShape {
  system?: string;
  messages: ModelMessage[];
  tools: ToolSet;
  output?: z.ZodType;
}

const PER_MESSAGE = 4;
const REPLY_PRIMING = 3;
/** A high-detail 1024×1024 image on GPT-4o; every image or file part is charged this much. */
const PER_MEDIA_PART = 765;
const MARGIN_SHARE = 0.02;
const MARGIN_TOKENS = 8;

const toolTokens = new WeakMap<object, number>();

export async function estimatePromptTokens(call: CallShape): Promise<number> {
  let total = REPLY_PRIMING;
  if (call.system) total += PER_MESSAGE + countTokens(call.system);
  for (const message of call.messages) total += messageTokens(message);
  for (const [name, tool] of Object.entries(call.tools)) total += await definitionTokens(name, tool);
  if (call.output) {
    const schema = await asSchema(call.output).jsonSchema;
    total += countTokens(JSON.stringify({ type: "json_schema", name: "response", strict: true, schema }));
  }
  return Math.ceil(total * (1 + MARGIN_SHARE)) + MARGIN_TOKENS;
}

/** A tool's definition as the provider receives it; the same tool object is counted once. */
async function definitionTokens(name: string, tool: ToolSet[string]): Promise<number> {
  const known = toolTokens.get(tool);
  if (known !== undefined) return known;
  const parameters = await asSchema(tool.inputSchema).jsonSchema;
  const definition = {
    type: "function",
    name,
    description: tool.description ?? "",
    parameters,
    strict: false,
  };
  const tokens = PER_MESSAGE + countTokens(JSON.stringify(definition));
  toolTokens.set(tool, tokens);
  return tokens;
}

function messageTokens(message: ModelMessage): number {
  if (typeof message.content === "string") return PER_MESSAGE + countTokens(message.content);
  let total = PER_MESSAGE;
  for (const part of message.content as Array<{ type: string } & Record<string, unknown>>) {
    total += PER_MESSAGE + partTokens(part);
  }
  return total;
}

function partTokens(part: { type: string } & Record<string, unknown>): number {
  switch (part.type) {
    case "text":
    case "reasoning":
      return countTokens(String(part.text ?? ""));
    case "tool-call":
      return countTokens(String(part.toolName)) + countTokens(JSON.stringify(part.input ?? {}));
    case "tool-result":
      return countTokens(String(part.toolName)) + outputTokens(part.output);
    case "image":
    case "file":
      return PER_MEDIA_PART;
    default:
      return countTokens(JSON.stringify(part));
  }
}

/** A tool result as the provider may receive it: text as is or JSON-escaped, an error as `{"error": …}`, anything else as JSON. */
function outputTokens(output: unknown): number {
  const typed = output as { type?: string; value?: unknown } | undefined;
  if (typed?.type === "text" && typeof typed.value === "string") {
    return Math.max(countTokens(typed.value), countTokens(JSON.stringify(typed.value)));
  }
  if (typed?.type === "error-text") return countTokens(JSON.stringify({ error: typed.value }));
  return countTokens(JSON.stringify(typed?.value ?? output ?? null));
}
