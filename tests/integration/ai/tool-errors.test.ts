import { tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { runAgent } from "@/lib/ai";
import { defineWorkflow } from "@/lib/workflow/define";
import { model, useProvider } from "./fixtures";

/** Attempts of the failing tool, by run id. */
const attempts = new Map<string, number>();

const agent = defineWorkflow({
  name: "tool-errors",
  input: z.object({ toolErrors: z.enum(["model", "fail"]) }),
  retries: 2,
  retryDelay: "1000",
  async handler(run) {
    const result = await runAgent(run, {
      name: "ops",
      model: model(),
      prompt: "Check the database.\ndev-model: call inventory\ndev-model: reply",
      tools: {
        inventory: tool({
          description: "Counts the stock",
          inputSchema: z.object({}),
          execute: async (): Promise<{ count: number }> => {
            attempts.set(run.runId, (attempts.get(run.runId) ?? 0) + 1);
            throw new Error("database is down");
          },
        }),
      },
      toolErrors: run.input.toolErrors,
      budget: false,
    });
    return { text: result.text, toolResults: result.toolResults };
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [agent] });
  useProvider(t.openai);
});
afterAll(async () => {
  await t?.stop();
});

describe("a tool that throws", () => {
  it("is retried with the run's retries, then its error goes to the model and the run goes on", async () => {
    const runId = await t.trigger("tool-errors", { toolErrors: "model" });
    await t.advanceTime(1_000);
    await t.advanceTime(1_000);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(attempts.get(runId)).toBe(3); // first attempt + 2 retries
    const output = run.output as { text: string; toolResults: Array<{ toolName: string; error?: string }> };
    expect(output.toolResults).toEqual([
      expect.objectContaining({ toolName: "inventory", error: "database is down" }),
    ]);
    expect(output.text).toContain("database is down"); // the dev model read the error back
    const step = (await t.getRun(runId)).steps.find((s) => s.name === "ops:turn-1:inventory-1");
    expect(step).toMatchObject({ outcome: "succeeded", attempt: 3 });
  });

  it('fails the run after the last attempt with toolErrors: "fail"', async () => {
    const runId = await t.trigger("tool-errors", { toolErrors: "fail" });
    await t.advanceTime(1_000);
    await t.advanceTime(1_000);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("failed");
    expect(attempts.get(runId)).toBe(3);
    expect(run.error?.message).toContain("database is down");
  });
});
