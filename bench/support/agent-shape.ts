import type { OpenAIProvider } from "@ai-sdk/openai";
import { tool } from "ai";
import { z } from "zod";
import { runAgent } from "../../lib/ai";
import { defineWorkflow } from "../../lib/workflow/define";
import { rawAgentLoop } from "./raw-agent";
import type { RawWorkflow } from "./stack";

/**
 * The AI agent shape of the integration tests: 6 model turns, 5 of them calling one tool, scripted for
 * the dev model. `trackedAgent` goes through `runAgent` (one step per turn, one per tool call);
 * `rawAgent` is the same loop on the raw SDK (`rawAgentLoop`: `generateText` in `context.run`), no tracking.
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

/** The one tool the scripted agent calls (the same for every bench that runs it). */
export const lookupTool = () =>
  tool({ description: lookupDescription, inputSchema: lookupInput, execute: lookupFacts });

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
        lookup: lookupTool(),
      },
      budget: false,
      maxTurns: MAX_TURNS,
    });
    return { turns: result.turns, tokens: result.usage.totalTokens };
  },
});

export const rawAgent: RawWorkflow = async (context) => {
  const result = await rawAgentLoop(context, {
    name: "bench",
    model: model(),
    prompt: AGENT_SCRIPT,
    tools: {
      lookup: tool({ description: lookupDescription, inputSchema: lookupInput, execute: lookupFacts }),
    },
    maxTurns: MAX_TURNS,
  });
  return { turns: result.turns };
};
