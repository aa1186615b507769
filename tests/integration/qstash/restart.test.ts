import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, type TestStack } from "./support/stack";

// The stand-in keeps everything in Redis: closing it and starting it again on the same port and
// Redis must not lose a sleeping run (nor the virtual clock).

let stack: TestStack;
let url = "";
const finished = new Set<string>();

beforeAll(async () => {
  stack = await startStack();
  url = stack.app.workflow("/wf/survivor", async (context) => {
    await context.run("before", () => "before");
    await context.sleep("nap", 3600);
    await context.run("after", () => {
      finished.add(context.workflowRunId);
    });
    return "survived";
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("stand-in restart", () => {
  it("finishes a run that was sleeping while the stand-in restarted", async () => {
    await stack.advance(10 * 60_000); // a non-zero clock offset that must survive the restart too
    const { workflowRunId } = await stack.client.trigger({ url, body: { keep: "me" } });
    await stack.waitForIdle();
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");
    const clockBefore = await stack.clock();

    await stack.restartQStash();

    const clockAfter = await stack.clock();
    expect(clockAfter.offsetMs).toBeGreaterThanOrEqual(clockBefore.offsetMs);
    expect(clockAfter.now).toBeGreaterThanOrEqual(clockBefore.now);
    expect(await stack.runState(workflowRunId)).toBe("RUN_STARTED");
    expect((await stack.pending()).scheduled).toBe(1);

    await stack.advance(3_600_000);
    expect(finished.has(workflowRunId)).toBe(true);
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(run?.workflowRunResponse).toBe('"survived"');
  });
});
