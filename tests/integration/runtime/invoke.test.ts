import { WorkflowNonRetryableError } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { defineWorkflow } from "@/lib/workflow/define";

/** Child step spans, to check that flow control keeps children from overlapping. */
const spans: Array<{ n: number; start: number; end: number }> = [];

const double = defineWorkflow({
  name: "double",
  input: z.object({ n: z.number().int() }),
  async handler({ context, input }) {
    const doubled = await context.run("double", async () => {
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 30));
      spans.push({ n: input.n, start, end: performance.now() });
      return input.n * 2;
    });
    return { doubled };
  },
});

const refuse = defineWorkflow({
  name: "refuse",
  input: z.object({}),
  async handler({ context }) {
    await context.run("refuse", () => {
      throw new WorkflowNonRetryableError("not today");
    });
  },
});

const parent = defineWorkflow({
  name: "parent",
  input: z.object({ n: z.number().int(), parallel: z.number().int().default(0) }),
  async handler({ invoke, input }) {
    const one = await invoke("double-it", double, { n: input.n }, { tags: ["child", "team:math"] });
    const failed = await invoke("try-refuse", refuse, {});
    const many = await Promise.all(
      Array.from({ length: input.parallel }, (_, i) =>
        invoke(`fan-out-${i}`, double, { n: 100 + i }, { flowControl: { key: "doubling", parallelism: 1 } }),
      ),
    );
    const repeated: number[] = [];
    for (let i = 0; i < 2; i++) {
      const again = await invoke("repeat", double, { n: 10 + i });
      if (again.ok) repeated.push(again.output.doubled);
    }
    return { one, failed, many: many.map((r) => (r.ok ? r.output.doubled : null)), repeated };
  },
});

const badCaller = defineWorkflow({
  name: "bad-caller",
  input: z.object({}),
  async handler({ invoke }) {
    return invoke("oops", double, { n: "two" } as never);
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [parent, double, refuse, badCaller] });
});
afterAll(async () => {
  await t?.stop();
});

describe("invoke: child runs of other workflows", () => {
  it("returns the child's output, or how it failed, and links parent and child both ways", async () => {
    const runId = await t.trigger("parent", { n: 21 });
    const run = await t.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({
      one: { ok: true, output: { doubled: 42 } },
      failed: { ok: false, status: "failed" },
      many: [],
    });

    const { steps } = await t.getRun(runId);
    const invokeStep = steps.find((s) => s.name === "double-it");
    expect(invokeStep).toMatchObject({ type: "invoke", outcome: "succeeded" });
    const childId = invokeStep?.childRunId as string;
    expect(childId).toBe(`${runId}:double-it`);
    const child = (await t.getRun(childId)).run;
    expect(child).toMatchObject({
      workflow: "double",
      status: "succeeded",
      source: "parent",
      parentRunId: runId,
      tags: ["child", "team:math"],
    });
    const tagged = await t.overtime.runs.list({ tag: "team:math", source: "parent" });
    expect(tagged.runs.map((r) => r.id)).toContain(childId);
    const refused = (await t.getRun(`${runId}:try-refuse`)).run;
    expect(refused).toMatchObject({ workflow: "refuse", status: "failed", parentRunId: runId });
    // One step name invoked twice (a loop): two children, numbered in call order.
    expect((run.output as { repeated: number[] }).repeated).toEqual([20, 22]);
    expect((await t.getRun(`${runId}:repeat`)).run?.input).toEqual({ n: 10 });
    expect((await t.getRun(`${runId}:repeat-2`)).run?.input).toEqual({ n: 11 });
  });

  it("caps children sharing a flow-control key: they queue in QStash, none runs beside another", async () => {
    spans.length = 0;
    const runId = await t.trigger("parent", { n: 1, parallel: 4 });
    const run = await t.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.status).toBe("succeeded");
    expect((run.output as { many: number[] }).many).toEqual([200, 202, 204, 206]);
    const fanned = spans.filter((s) => s.n >= 100).sort((a, b) => a.start - b.start);
    expect(fanned).toHaveLength(4);
    for (let i = 1; i < fanned.length; i++) {
      expect(fanned[i]?.start).toBeGreaterThanOrEqual(fanned[i - 1]?.end as number);
    }
  });

  it("fails the parent at once, naming the field, when the child's input does not fit its schema", async () => {
    const runId = await t.trigger("bad-caller", {});
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain('invoke "oops" of "double"');
    expect(run.error?.message).toContain("n");
  });
});
