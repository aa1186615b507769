import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { incompressibleText } from "@/dev/testing/fixtures";
import { defineWorkflow } from "@/lib/workflow/define";

const bulk = defineWorkflow({
  name: "bulk",
  input: z.object({ steps: z.number().int(), stepBytes: z.number().int(), bigBytes: z.number().int() }),
  async handler({ context, input }) {
    let total = 0;
    for (let i = 1; i <= input.steps; i++) {
      const value = await context.run(`chunk-${i}`, () => incompressibleText(`chunk-${i}`, input.stepBytes));
      total += value.length;
    }
    const big = await context.run("big", () => ({ text: incompressibleText("big", input.bigBytes) }));
    const digest = createHash("sha256").update(big.text).digest("hex");
    return { total: total + big.text.length, digest };
  },
});

/** A polling loop: one step name, a different large result each time. */
const poller = defineWorkflow({
  name: "poller",
  input: z.object({ rounds: z.number().int() }),
  async handler({ context, input }) {
    const seen: string[] = [];
    for (let round = 1; round <= input.rounds; round++) {
      const page = await context.run("poll", () => `${round}:${incompressibleText(`poll-${round}`, 50_000)}`);
      seen.push(page.slice(0, page.indexOf(":")));
    }
    return { seen };
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [bulk, poller], qstashMaxMessageBytes: 1_000_000 });
});
afterAll(async () => {
  await t?.stop();
});

describe("claim check", () => {
  it("completes 200 steps of 100 KB and one of 5 MB under a 1 MB message limit", async () => {
    const input = { steps: 200, stepBytes: 100_000, bigBytes: 5_000_000 };
    const runId = await t.trigger("bulk", input);
    const run = await t.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({
      total: 200 * 100_000 + 5_000_000,
      digest: createHash("sha256").update(incompressibleText("big", 5_000_000)).digest("hex"),
    });
    const { steps } = await t.getRun(runId);
    const big = steps.find((s) => s.name === "big");
    expect(big).toMatchObject({ claimed: true });
    expect(big?.resultBytes).toBeGreaterThan(5_000_000);
    expect(steps.filter((s) => s.claimed)).toHaveLength(201);
  });

  it("keeps small results in the history", async () => {
    const runId = await t.trigger("bulk", { steps: 2, stepBytes: 100, bigBytes: 100 });
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
    const { steps } = await t.getRun(runId);
    expect(steps.filter((s) => s.claimed)).toHaveLength(0);
  });

  it("gives each result of a step name used again (a loop) back on replay, not the latest one", async () => {
    const runId = await t.trigger("poller", { rounds: 3 });
    const run = await t.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ seen: ["1", "2", "3"] });
  });
});
