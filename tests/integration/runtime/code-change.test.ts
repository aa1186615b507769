import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { defineWorkflow } from "@/lib/workflow/define";

/** Stands in for a deploy: the same workflow name, different steps. */
let version = 1;

const evolving = defineWorkflow({
  name: "evolving",
  input: z.object({}),
  async handler({ context }) {
    await context.run(version === 1 ? "fetch" : "fetch-v2", () => version);
    await context.sleep("pause", 60);
    return context.run("summarize", () => `done on v${version}`);
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [evolving] });
});
afterAll(async () => {
  await t?.stop();
});

it("fails a run whose code changed under it, records the mismatch, and restarts it on the current code", async () => {
  version = 1;
  const runId = await t.trigger("evolving", {});
  await t.waitForRun(runId, { status: "sleeping" });
  version = 2;
  await t.advanceTime(61_000);
  const run = await t.waitForRun(runId);
  expect(run.status).toBe("failed");
  expect(run.incompatible).toEqual({ expected: "fetch", found: "fetch-v2" });
  expect(run.error?.message).toContain("code changed");

  const retry = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/retry`, {
    method: "POST",
    headers: { authorization: "Bearer test-secret" },
  });
  expect(retry.status).toBe(202);
  const restarted = (await retry.json()) as { runId: string; mode: string };
  expect(restarted.mode).toBe("restart");
  await t.waitForRun(restarted.runId, { status: "sleeping" });
  await t.advanceTime(61_000);
  const rerun = await t.waitForRun(restarted.runId);
  expect(rerun).toMatchObject({ status: "succeeded", output: "done on v2", retryOf: runId, source: "retry" });
});
