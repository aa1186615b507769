import type { OpenAIProvider } from "@ai-sdk/openai";
import { tool } from "ai";
import { z } from "zod";
import { runAgent } from "@/lib/ai";
import { defineWorkflow } from "@/lib/workflow/define";

/** Side effects of tool executions, by run id: a crash must never make one happen twice. */
export const sideEffects = new Map<string, string[]>();

export function recordEffect(runId: string, what: string): void {
  sideEffects.set(runId, [...(sideEffects.get(runId) ?? []), what]);
}

/** The dev model is scripted: line N applies after N rounds of tool calls (see dev/model/README.md). */
export const SIX_TURN_SCRIPT = [
  "Research otters.",
  "dev-model: call lookup, tally",
  'dev-model: call lookup {"topic": "diet"}',
  'dev-model: call lookup {"topic": "habitat"}',
  "dev-model: call tally",
  'dev-model: call lookup {"topic": "predators"}',
  "dev-model: reply",
].join("\n");

let provider: OpenAIProvider | undefined;

/** Tests set the provider once their stack is up (workflows are defined at module load). */
export function useProvider(openai: OpenAIProvider): void {
  provider = openai;
}

export function model(id = "gpt-4o-mini") {
  if (!provider) throw new Error("useProvider(t.openai) first");
  return provider(id);
}

/** Called after a tool ran (the crash test kills the app there). */
export const hooks: { afterTool?: (runId: string, toolName: string) => void } = {};

export function researchTools(runId: string) {
  const onTool = (name: string) => hooks.afterTool?.(runId, name);
  return {
    lookup: tool({
      description: "Look up facts about a topic",
      inputSchema: z.object({ topic: z.string() }),
      execute: async ({ topic }) => {
        recordEffect(runId, `lookup:${topic}`);
        onTool("lookup");
        return { topic, fact: `${topic} facts` };
      },
    }),
    tally: tool({
      description: "Count how many facts were gathered",
      inputSchema: z.object({}),
      execute: async () => {
        recordEffect(runId, "tally");
        onTool("tally");
        return { count: (sideEffects.get(runId) ?? []).length };
      },
    }),
  };
}

export const researchInput = z.object({
  mode: z.enum(["inline", "offload"]).default("inline"),
  prompt: z.string().default(SIX_TURN_SCRIPT),
  stream: z.boolean().default(false),
  tenant: z.string().optional(),
});

export const research = defineWorkflow({
  name: "research",
  input: researchInput,
  retryDelay: "5000",
  async handler(run) {
    const result = await runAgent(run, {
      name: "researcher",
      model: model(),
      system: "You are a careful researcher.",
      prompt: run.input.prompt,
      tools: researchTools(run.runId),
      maxTurns: 8,
      mode: run.input.mode,
      stream: run.input.stream,
      output: z.object({ summary: z.string() }),
      budget: run.input.tenant ? { tenant: run.input.tenant } : {},
    });
    return result;
  },
});
