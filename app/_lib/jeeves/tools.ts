import { type ToolSet, tool } from "ai";
import type { StreamTool, StreamTools } from "../streams/analysis/tools";

/**
 * The chosen stream tools as AI SDK tools for an agent. A bad call (unknown stream, invalid arguments,
 * too little data) comes back to the model as `{ error }` instead of failing the step: runAgent retries
 * a throwing tool as a step failure, and a model's mistake does not get better by retrying it.
 */
export function agentTools<K extends keyof StreamTools>(tools: StreamTools, names: readonly K[]): ToolSet {
  return Object.fromEntries(
    names.map((name) => [name, forgiving(tools[name] as StreamTool<unknown, unknown>)]),
  );
}

function forgiving(streamTool: StreamTool<unknown, unknown>) {
  return tool({
    description: streamTool.description,
    inputSchema: streamTool.inputSchema,
    execute: async (input: unknown) => {
      const parsed = streamTool.inputSchema.safeParse(input);
      if (!parsed.success) return { error: `Invalid arguments: ${parsed.error.message}` };
      try {
        return await streamTool.execute(parsed.data);
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    },
  });
}
