import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { runAgent } from "@/lib/ai";
import { defineWorkflow } from "@/lib/workflow/define";

/**
 * An inline model call shares the function's duration limit (OVERTIME_MAX_DURATION / the route's
 * maxDuration). Here the limit is 2 s, so an inline call may take 1 s; the dev model answers after 1.5 s.
 */
let t: TestStack;

const agent = defineWorkflow({
  name: "slow-model",
  input: z.object({ mode: z.enum(["inline", "offload"]) }),
  async handler(run) {
    const result = await runAgent(run, {
      name: "slow",
      model: t.openai("gpt-4o-mini"),
      prompt: 'dev-model: reply "late"',
      mode: run.input.mode,
    });
    return result.text;
  },
});

beforeAll(async () => {
  t = await createTestStack({ workflows: [agent], ai: { functionMaxDurationSeconds: 2 } });
});
afterAll(async () => {
  await t?.stop();
});

describe("inline agent turns under the function's duration limit", () => {
  it("stops an inline call before the limit and fails the run, saying to use offload", async () => {
    t.dev.model.setFaults({ latencyMs: 1_500 });
    const runId = await t.trigger("slow-model", { mode: "inline" });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain('Agent "slow"');
    expect(run.error?.message).toContain('mode: "offload"');
    // Non-retryable: the same call would only be cut again (one model request, no retries).
    expect(t.dev.model.stats().requests).toBe(1);
  });

  it("an offloaded turn is not bound by it: QStash waits for the model", async () => {
    t.dev.model.setFaults({ latencyMs: 1_500 });
    const runId = await t.trigger("slow-model", { mode: "offload" });
    const run = await t.waitForRun(runId, { timeoutMs: 20_000 });
    expect(run.status).toBe("succeeded");
    expect(run.output).toBe("late");
    t.dev.model.setFaults({});
  });
});
