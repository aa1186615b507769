import type { WorkflowContext } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, type TestStack, waitFor } from "./support/stack";

// Cancelling runs mid-sleep: by id, by URL prefix, by label, and all at once.

let stack: TestStack;
const woke = new Set<string>();
const blockerStarted = new Set<string>();
let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});

async function sleeper(context: WorkflowContext) {
  await context.run("before", () => "before");
  await context.sleep("long-nap", 3600);
  await context.run("after", () => {
    woke.add(context.workflowRunId);
  });
}

beforeAll(async () => {
  stack = await startStack();
  stack.app.workflow("/cancel/*", sleeper);
  stack.app.workflow("/keep/*", sleeper);
  stack.app.workflow("/self-cancel", async (context) => {
    await context.run("decide", () => "cancel");
    await context.cancel();
    await context.run("never", () => woke.add(context.workflowRunId));
  });
  stack.app.workflow("/blocking", async (context) => {
    await context.run("blocker", async () => {
      blockerStarted.add(context.workflowRunId);
      await gate;
      return "late result";
    });
    await context.run("never", () => woke.add(context.workflowRunId));
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

const deliveriesOf = (runId: string) => stack.app.deliveriesOf(runId);

async function startSleeping(path: string, label?: string): Promise<string> {
  const { workflowRunId } = await stack.client.trigger({ url: stack.app.at(path), label });
  return workflowRunId;
}

describe.sequential("cancel", () => {
  it("cancels a sleeping run by id; nothing is delivered afterwards", async () => {
    const runId = await startSleeping("/cancel/by-id");
    await stack.waitForIdle();
    expect(deliveriesOf(runId)).toHaveLength(2);

    expect(await stack.client.cancel(runId)).toEqual({ cancelled: 1 });
    expect(await stack.runState(runId)).toBe("RUN_CANCELED");
    await stack.advance(2 * 3_600_000);
    expect(deliveriesOf(runId)).toHaveLength(2);
    expect(woke.has(runId)).toBe(false);

    // cancelling again finds nothing to cancel
    expect(await stack.client.cancel([runId])).toEqual({ cancelled: 0 });
  });

  it("cancels from inside the run with context.cancel()", async () => {
    const runId = await startSleeping("/self-cancel");
    await stack.waitForIdle();
    expect(await stack.runState(runId)).toBe("RUN_CANCELED");
    expect(woke.has(runId)).toBe(false);
    expect(deliveriesOf(runId).map((d) => d.status)).toEqual([200, 200]);
  });

  it("refuses the result of a step that was running when the run got cancelled", async () => {
    const runId = await startSleeping("/blocking");
    await waitFor(() => blockerStarted.has(runId), { what: "the blocking step to start" });
    expect(await stack.client.cancel(runId)).toEqual({ cancelled: 1 });
    openGate();
    await stack.waitForIdle();
    await stack.advance(3_600_000);

    expect(await stack.runState(runId)).toBe("RUN_CANCELED");
    expect(woke.has(runId)).toBe(false);
    // The SDK's late publish got a 400 from the stand-in, which the SDK turns into a quiet 200.
    expect(deliveriesOf(runId).map((d) => d.status)).toEqual([200]);
  });

  it("cancels in bulk by URL prefix, then by label, then all", async () => {
    const prefixA = await startSleeping("/cancel/prefix/a");
    const prefixB = await startSleeping("/cancel/prefix/b");
    const labelled = await startSleeping("/keep/labelled", "doomed");
    const spared = await startSleeping("/keep/spared", "spared");
    const survivor = await startSleeping("/keep/survivor");
    await stack.waitForIdle();

    const byPrefix = await stack.client.cancel({
      filter: { workflowUrlStartingWith: stack.app.at("/cancel/prefix") },
    });
    expect(byPrefix).toEqual({ cancelled: 2 });
    expect(await stack.runState(prefixA)).toBe("RUN_CANCELED");
    expect(await stack.runState(prefixB)).toBe("RUN_CANCELED");
    expect(await stack.runState(labelled)).toBe("RUN_STARTED");

    expect(await stack.client.cancel({ filter: { label: "doomed" } })).toEqual({ cancelled: 1 });
    expect(await stack.runState(labelled)).toBe("RUN_CANCELED");
    expect(await stack.runState(spared)).toBe("RUN_STARTED");

    // Exact URL match does not act as a prefix.
    expect(await stack.client.cancel({ filter: { workflowUrl: stack.app.at("/keep") } })).toEqual({
      cancelled: 0,
    });

    expect(await stack.client.cancel({ all: true })).toEqual({ cancelled: 2 });
    for (const id of [spared, survivor]) expect(await stack.runState(id)).toBe("RUN_CANCELED");

    const before = stack.app.requests.length;
    const statsBefore = await stack.stats();
    await stack.advance(2 * 3_600_000);
    expect(stack.app.requests.length).toBe(before);
    expect((await stack.statsSince(statsBefore)).delivered).toBe(0);
    for (const id of [prefixA, prefixB, labelled, spared, survivor]) expect(woke.has(id)).toBe(false);
    expect((await stack.pending()).scheduled).toBe(0);
  });
});
