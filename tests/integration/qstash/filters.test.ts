import type { WorkflowContext } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qstashRejection } from "@/tests/support/qstash-errors";
import { startStack, type TestStack } from "./support/stack";

// Workflow-level filters through the real @upstash/workflow Client: a typo must not widen a bulk cancel.

let stack: TestStack;
let sleeperA = "";
let sleeperB = "";

beforeAll(async () => {
  stack = await startStack();
  const sleeper = async (context: WorkflowContext) => {
    await context.sleep("nap", 3600);
  };
  sleeperA = stack.app.workflow("/wf/filters/a", sleeper);
  sleeperB = stack.app.workflow("/wf/filters/b", sleeper);
});

afterAll(async () => {
  await stack?.close();
});

describe("workflow run filters", () => {
  it("rejects a misspelled cancel filter with a 400 naming it, and cancels nothing", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: sleeperA, label: "keep" });
    await stack.waitForIdle();
    const typo = { lable: "keep" } as unknown as { label: string };
    const error = await qstashRejection(stack.client.cancel({ filter: typo }));
    expect(error.status).toBe(400);
    expect(error.message).toContain("lable");
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");

    const logs = await qstashRejection(
      stack.client.logs({ filter: { stat: "RUN_STARTED" } as unknown as { label: string } }),
    );
    expect(logs.status).toBe(400);
    expect(logs.message).toContain("stat");
    await stack.client.cancel({ ids: workflowRunId });
  });

  it("filters logs and cancels by the workflow URL's path and host", async () => {
    const a = await stack.client.trigger({ url: sleeperA });
    const b = await stack.client.trigger({ url: sleeperB });
    await stack.waitForIdle();
    const byPath = await stack.client.logs({ filter: { path: "/wf/filters/b", state: "RUN_STARTED" } });
    expect(byPath.runs.map((r) => r.workflowRunId)).toEqual([b.workflowRunId]);
    const host = new URL(sleeperA).host;
    const byHost = await stack.client.logs({ filter: { host, state: "RUN_STARTED" } });
    expect(byHost.runs.map((r) => r.workflowRunId).sort()).toEqual([a.workflowRunId, b.workflowRunId].sort());
    expect(byHost).not.toHaveProperty("cursor");

    expect(await stack.client.cancel({ filter: { path: "/wf/filters/a" } })).toEqual({ cancelled: 1 });
    expect(await stack.runState(a.workflowRunId)).toBe("RUN_CANCELED");
    expect(await stack.runState(b.workflowRunId)).toBe("RUN_STARTED");
    await stack.client.cancel({ ids: b.workflowRunId });
  });
});
