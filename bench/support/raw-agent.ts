import type { WorkflowContext } from "@upstash/workflow";
import { generateText, type LanguageModel, type ModelMessage, type ToolSet } from "ai";

export interface RawAgentOptions {
  name: string;
  model: LanguageModel;
  system?: string;
  prompt: string;
  tools: ToolSet;
  maxTurns: number;
}

export interface RawAgentResult {
  text: string;
  turns: number;
  toolResults: Array<{ toolName: string; output: unknown }>;
}

interface RawTurn {
  text: string;
  messages: ModelMessage[];
  calls: Array<{ toolCallId: string; toolName: string; input: unknown }>;
}

/**
 * The agent loop as someone would write it on the raw `@upstash/workflow` SDK: `generateText` in one
 * `context.run` per model turn, each tool call its own `context.run` (a turn's calls in parallel). Same
 * steps and step names as Overtime's `runAgent` without a budget; no tracking, usage totals,
 * rate-limit sleeps or approvals. The benchmarks' raw twins use it.
 */
export async function rawAgentLoop(
  context: WorkflowContext<unknown>,
  options: RawAgentOptions,
): Promise<RawAgentResult> {
  const messages: ModelMessage[] = [{ role: "user", content: options.prompt }];
  const toolResults: RawAgentResult["toolResults"] = [];
  const modelTools = Object.fromEntries(
    Object.entries(options.tools).map(([name, tool]) => [name, { ...tool, execute: undefined }]),
  ) as ToolSet;
  let text = "";
  for (let turn = 1; turn <= options.maxTurns; turn++) {
    const step = `${options.name}:turn-${turn}`;
    const result = await context.run(step, () => rawTurn(options, messages, modelTools));
    messages.push(...result.messages);
    text = result.text;
    if (result.calls.length === 0) return { text, turns: turn, toolResults };
    const outputs = await Promise.all(
      result.calls.map((call, index) =>
        context.run(`${step}:${call.toolName}-${index + 1}`, async () => {
          const execute = options.tools[call.toolName]?.execute;
          if (!execute) return { error: `unknown tool ${call.toolName}` };
          const output = await execute(call.input as never, {
            toolCallId: call.toolCallId,
            messages,
            context: undefined as never,
          });
          return output ?? null;
        }),
      ),
    );
    messages.push({
      role: "tool",
      content: result.calls.map((call, index) => ({
        type: "tool-result" as const,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: { type: "json" as const, value: outputs[index] as never },
      })),
    });
    toolResults.push(
      ...result.calls.map((call, index) => ({ toolName: call.toolName, output: outputs[index] })),
    );
  }
  return { text, turns: options.maxTurns, toolResults };
}

async function rawTurn(options: RawAgentOptions, messages: ModelMessage[], tools: ToolSet): Promise<RawTurn> {
  const result = await generateText({
    model: options.model,
    system: options.system,
    messages,
    tools: Object.keys(tools).length > 0 ? tools : undefined,
    maxRetries: 0,
  });
  return {
    text: result.text,
    messages: result.response.messages,
    calls: result.toolCalls.map(({ toolCallId, toolName, input }) => ({ toolCallId, toolName, input })),
  };
}
