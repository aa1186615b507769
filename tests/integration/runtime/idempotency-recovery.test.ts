import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { NEVER_PUBLISHED } from "@/lib/runs/reconcile";
import { claimKey, inputHash } from "@/lib/trigger/idempotency";
import { defineWorkflow } from "@/lib/workflow/define";

/**
 * The states a crash can leave a keyed trigger in, made one by one (what startRun writes, stopped at
 * each point), then the same key sent again: it must finish the first request's work exactly once.
 */
const SECRET = "recovery-secret-0123456789";
const executions = new Map<number, number>();

const count = defineWorkflow({
  name: "count",
  input: z.object({ n: z.number().int() }),
  async handler({ context, input }) {
    return context.run("count", () => {
      executions.set(input.n, (executions.get(input.n) ?? 0) + 1);
      return input.n;
    });
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({
    workflows: [count],
    triggerSecrets: { acme: SECRET },
    triggerRecovery: { takeOverAfterMs: 0, staleAfterMs: 200 },
  });
});
afterAll(async () => {
  await t?.stop();
});

const trigger = async (n: number, key?: string) => {
  const response = await fetch(`${t.url}/api/trigger/count`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${SECRET}`,
      "content-type": "application/json",
      ...(key && { "idempotency-key": key }),
    },
    body: JSON.stringify({ n }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { runId: string; deduplicated?: boolean };
};
const keyOf = (key: string) => t.overtime.store.keys.idempotency("count", "acme", key);
const claim = (key: string, runId: string, n: number) =>
  claimKey(t.overtime.store.redis, keyOf(key), { runId, inputHash: inputHash({ n }), claimedAt: 0 });
const recordQueued = (runId: string) =>
  t.overtime.store.apply([
    t.overtime.store.updateRun(runId, "count", {
      status: "queued",
      setOnce: { source: "webhook", input: {} },
    }),
  ]);

describe("a keyed trigger resumed after a crash", () => {
  it("after the key was claimed, before anything else", async () => {
    await claim("c-1", "wfr_crash-1", 1);
    const { runId, deduplicated } = await trigger(1, "c-1");
    expect({ runId, deduplicated }).toEqual({ runId: "wfr_crash-1", deduplicated: true });
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
    expect(executions.get(1)).toBe(1);
  });

  it("after the queued record was written, before publishing", async () => {
    await claim("c-2", "wfr_crash-2", 2);
    await recordQueued("wfr_crash-2");
    const { runId } = await trigger(2, "c-2");
    expect(runId).toBe("wfr_crash-2");
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
    expect((await trigger(2, "c-2")).runId).toBe(runId);
    expect(executions.get(2)).toBe(1);
  });

  it("after QStash accepted the run, before the key was marked published", async () => {
    await claim("c-3", "wfr_crash-3", 3);
    await recordQueued("wfr_crash-3");
    await t.overtime.client.trigger({
      url: t.overtime.workflowUrl("count"),
      body: { n: 3 },
      workflowRunId: "crash-3",
    });
    const { runId } = await trigger(3, "c-3");
    expect(runId).toBe("wfr_crash-3");
    await t.waitForRun(runId);
    await t.waitForIdle();
    expect(executions.get(3)).toBe(1);
  });
});

describe("queued records that were never published", () => {
  it("are failed with the reason when read past the orphan delay; their key starts anew", async () => {
    await claim("c-4", "wfr_orphan-4", 4);
    await t.overtime.store.apply([
      t.overtime.store.updateRun("wfr_orphan-4", "count", {
        status: "queued",
        setOnce: { source: "webhook", input: { n: 4 }, idempotencyKey: "c-4", caller: "acme" },
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const view = await fetch(`${t.url}/api/runs/wfr_orphan-4`);
    const { run } = (await view.json()) as {
      run: { status: string; error: { message: string; code: string } };
    };
    expect(run.status).toBe("failed");
    expect(run.error).toEqual({ message: NEVER_PUBLISHED, code: "never_published" });
    const fresh = await trigger(4, "c-4");
    expect(fresh.runId).not.toBe("wfr_orphan-4");
    expect((await t.waitForRun(fresh.runId)).status).toBe("succeeded");
  });

  it("are left queued while QStash knows the run (it has not started yet)", async () => {
    await recordQueued("wfr_later-6");
    await t.overtime.client.trigger({
      url: t.overtime.workflowUrl("count"),
      body: { n: 6 },
      workflowRunId: "later-6",
      delay: 3_600,
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { run } = (await (await fetch(`${t.url}/api/runs/wfr_later-6`)).json()) as {
      run: { status: string };
    };
    expect(run.status).toBe("queued");
    await t.advanceTime(3_601_000);
    expect((await t.waitForRun("wfr_later-6")).status).toBe("succeeded");
  });
});

describe("records that missed the run's last write", () => {
  it("take the end QStash recorded (the app died after QStash ended the run, before its own write)", async () => {
    const { runId } = await trigger(7);
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
    await t.overtime.store.apply([
      t.overtime.store.updateRun(runId, "count", {
        status: "running",
        reopen: true,
        set: { output: null, finishedAt: null },
      }),
    ]);
    expect((await t.overtime.store.getRun(runId))?.status).toBe("running");
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { run } = (await (await fetch(`${t.url}/api/runs/${runId}`)).json()) as {
      run: { status: string; output: unknown; finishedAt?: number };
    };
    expect(run).toMatchObject({ status: "succeeded", output: 7 });
    expect(run.finishedAt).toBeGreaterThan(0);
    expect((await t.overtime.store.getRun(runId))?.status).toBe("succeeded");
  });
});
