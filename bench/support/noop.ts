import type { WorkflowContext } from "@upstash/workflow";
import { z } from "zod";
import { defineWorkflow } from "../../lib/workflow/define";
import type { RawWorkflow } from "./stack";

/**
 * The same N-step no-op workflow twice: through Overtime (`noop`) and on the raw SDK (`/raw/noop`).
 * Each step records when it ran (in this process), so time per step is the gap between two steps:
 * one full cycle of publish → delivery → replay → next step.
 */
const stepMarks = new Map<string, number[]>();

export function marksOf(runId: string): number[] {
  return stepMarks.get(runId) ?? [];
}

export function forgetMarks(runId: string): void {
  stepMarks.delete(runId);
}

async function noopSteps(context: WorkflowContext<unknown>, steps: number, runId: string): Promise<void> {
  for (let i = 1; i <= steps; i++) {
    await context.run(`step-${i}`, () => {
      const marks = stepMarks.get(runId) ?? [];
      marks.push(performance.now());
      stepMarks.set(runId, marks);
      return i;
    });
  }
}

export const trackedNoop = defineWorkflow({
  name: "noop",
  input: z.object({ steps: z.number().int().min(1).max(1_000) }),
  async handler({ context, input, runId }) {
    await noopSteps(context, input.steps, runId);
    return { steps: input.steps };
  },
});

export const rawNoop: RawWorkflow = async (context) => {
  const { steps } = context.requestPayload as { steps: number };
  await noopSteps(context, steps, context.workflowRunId);
  return { steps };
};
