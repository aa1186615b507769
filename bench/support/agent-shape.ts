import type { OpenAIProvider } from "@ai-sdk/openai";
import { generateText, type ModelMessage, tool } from "ai";
import { z } from "zod";
import { runAgent } from "../../lib/ai";
import { defineWorkflow } from "../../lib/workflow/define";
import type { RawWorkflow } from "./stack";

/**
 * The AI agent shape of the integration tests: 6 model turns, 5 of them calling one tool, scripted for
 * the dev model. `trackedAgent` goes through `runAgent` (one step per turn, one per tool call);
 * `rawAgent` is the same loop written on the raw SDK (`generateText` in `context.run`), no tracking.
 */
export const AGENT_SCRIPT = [
  "Research otters.",
  "dev-model: call lookup",
  'dev-model: call lookup {"topic": "diet"}',
  'dev-model: call lookup {"topic": "habitat"}',
  'dev-model: call lookup {"topic": "range"}',
  'dev-model: call lookup {"topic": "predators"}',
  "dev-model: reply",
].join("\n");

const MODEL = "gpt-4o-mini";
const MAX_TURNS = 8;
const lookupInput = z.object({ topic: z.string() });
const lookupFacts = async ({ topic }: z.infer<typeof lookupInput>) => ({ topic, fact: `${topic} facts` });
const lookupDescription = "Look up facts about a topic";

let provider: OpenAIProvider | undefined;

/** The provider both agents call (the bench stack's dev model). */
export function setAgentProvider(openai: OpenAIProvider): void {
  provider = openai;
}

function model() {
  if (!provider) throw new Error("setAgentProvider() first");
  return provider(MODEL);
}

export const trackedAgent = defineWorkflow({
  name: "agent",
  input: z.object({}),
  retries: 10,
  async handler(run) {
    const result = await runAgent(run, {
      name: "bench",
      model: model(),
      prompt: AGENT_SCRIPT,
      tools: {
        lookup: tool({ description: lookupDescription, inputSchema: lookupInput, execute: lookupFacts }),
      },
      budget: false,
      maxTurns: MAX_TURNS,
    });
    return { turns: result.turns, tokens: result.usage.totalTokens };
  },
});

interface RawTurn {
  messages: ModelMessage[];
  calls: Array<{ toolCallId: string; toolName: string; input: unknown }>;
}

export const rawAgent: RawWorkflow = async (context) => {
  const messages: ModelMessage[] = [{ role: "user", content: AGENT_SCRIPT }];
  for (let turn = 1; turn <= MAX_TURNS; turn++) {
    const result = await context.run(`turn-${turn}`, () => rawTurn(messages));
    messages.push(...result.messages);
    if (result.calls.length === 0) return { turns: turn };
    const outputs = await Promise.all(
      result.calls.map((call, index) =>
        context.run(`turn-${turn}-${call.toolName}-${index + 1}`, () =>
          lookupFacts(lookupInput.parse(call.input)),
        ),
      ),
    );
    messages.push({
      role: "tool",
      content: result.calls.map((call, index) => ({
        type: "tool-result" as const,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: { type: "json" as const, value: outputs[index] as { topic: string; fact: string } },
      })),
    });
  }
  return { turns: MAX_TURNS };
};

async function rawTurn(messages: ModelMessage[]): Promise<RawTurn> {
  const result = await generateText({
    model: model(),
    messages,
    tools: { lookup: tool({ description: lookupDescription, inputSchema: lookupInput }) },
  });
  return {
    messages: result.response.messages,
    calls: result.toolCalls.map(({ toolCallId, toolName, input }) => ({ toolCallId, toolName, input })),
  };
}
