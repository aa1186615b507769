import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { runEventStream } from "@/lib/runs/events";
import { defineWorkflow } from "@/lib/workflow/define";

/** A waiting run's event stream outlives any function limit unless it ends itself first. */
const waiting = defineWorkflow({
  name: "waiting",
  input: z.object({}),
  async handler({ context }) {
    await context.waitForEvent("hold", "stream-limit-hold", { timeout: "1h" });
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [waiting] });
});
afterAll(async () => {
  await t?.stop();
});

describe("the run event stream under the function's duration limit", () => {
  it("ends cleanly after closeAfterMs, so the client reconnects before the platform cuts it", async () => {
    const runId = await t.trigger("waiting", {});
    await t.waitForRun(runId, { status: "waiting" });
    const started = Date.now();
    const text = await new Response(runEventStream(t.overtime.store, runId, { closeAfterMs: 300 })).text();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text).toContain("retry: 2000");
    expect(text).toContain("event: run.status");
    expect((await t.overtime.runs.get(runId))?.status).toBe("waiting");
  });
});
