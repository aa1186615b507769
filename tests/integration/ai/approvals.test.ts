import { tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { runAgent } from "@/lib/ai";
import { defineWorkflow } from "@/lib/workflow/define";
import { model, recordEffect, sideEffects, useProvider } from "./fixtures";

const cleanup = defineWorkflow({
  name: "cleanup",
  input: z.object({ path: z.string() }),
  async handler(run) {
    const result = await runAgent(run, {
      name: "janitor",
      model: model(),
      prompt: `dev-model: call deletePath {"path": ${JSON.stringify(run.input.path)}}\ndev-model: reply`,
      tools: {
        deletePath: tool({
          description: "Delete a path",
          inputSchema: z.object({ path: z.string() }),
          // Only production paths need a human.
          needsApproval: ({ path }) => path.startsWith("/prod"),
          execute: async ({ path }) => {
            recordEffect(run.runId, `deleted ${path}`);
            return { deleted: path };
          },
        }),
      },
      approvalTimeoutSeconds: 3_600,
    });
    return result;
  },
});

/** Two calls in one turn, both needing a human. */
const twoKeys = defineWorkflow({
  name: "two-keys",
  input: z.object({}),
  async handler(run) {
    const guarded = (name: string) =>
      tool({
        description: `${name} the production database`,
        inputSchema: z.object({}),
        needsApproval: true,
        execute: async () => {
          recordEffect(run.runId, name);
          return { done: name };
        },
      });
    return runAgent(run, {
      name: "dba",
      model: model(),
      prompt: "dev-model: call backup, migrate\ndev-model: reply",
      tools: { backup: guarded("backup"), migrate: guarded("migrate") },
      approvalTimeoutSeconds: 3_600,
    });
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({ workflows: [cleanup, twoKeys] });
  useProvider(t.openai);
});
afterAll(async () => {
  await t?.stop();
});

interface RunBody {
  run: { status: string };
  approvals: Array<{ toolCallId: string; status: string; toolName: string; input: unknown; note?: string }>;
  pendingApprovals: Array<{ toolCallId: string }>;
}

async function getRun(runId: string): Promise<RunBody> {
  return (await (await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}`)).json()) as RunBody;
}

function decide(runId: string, toolCallId: string, body: unknown) {
  return fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/approvals/${encodeURIComponent(toolCallId)}`, {
    method: "POST",
    headers: { authorization: "Bearer test-secret", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Starts a run that asks to delete /prod/…, waits until it waits for a human, restarts the app. */
async function startWaiting(path: string) {
  const runId = await t.trigger("cleanup", { path });
  await t.waitForRun(runId, { status: "waiting" });
  const { pendingApprovals, approvals } = await getRun(runId);
  expect(pendingApprovals).toHaveLength(1);
  expect(approvals[0]).toMatchObject({ toolName: "deletePath", input: { path }, status: "pending" });
  t.restartApp(); // a deploy or a cold start while the run waits: nothing is lost
  return { runId, toolCallId: (pendingApprovals[0] as { toolCallId: string }).toolCallId };
}

describe("approvals", () => {
  it("runs an approved call once, after an app restart while waiting", async () => {
    const { runId, toolCallId } = await startWaiting("/prod/cache");
    expect(sideEffects.get(runId)).toBeUndefined();
    const response = await decide(runId, toolCallId, { approved: true, note: "ok" });
    expect(response.status).toBe(200);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(sideEffects.get(runId)).toEqual(["deleted /prod/cache"]);
    const { approvals, pendingApprovals } = await getRun(runId);
    expect(pendingApprovals).toEqual([]);
    expect(approvals[0]).toMatchObject({ status: "approved", note: "ok" });
    expect((await decide(runId, toolCallId, { approved: false })).status).toBe(409);
  });

  it("tells the model when a human declines, and never runs the tool", async () => {
    const { runId, toolCallId } = await startWaiting("/prod/db");
    await decide(runId, toolCallId, { approved: false, note: "too risky" });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(sideEffects.get(runId)).toBeUndefined();
    const output = run.output as { text: string; toolResults: Array<{ declined?: unknown }> };
    expect(output.toolResults[0]?.declined).toEqual({ reason: "declined", note: "too risky" });
    expect(output.text).toContain("a human reviewer declined it");
    expect(output.text).toContain("too risky");
    expect((await getRun(runId)).approvals[0]).toMatchObject({ status: "declined", note: "too risky" });
  });

  it("declines the call when nobody answers in time", async () => {
    const { runId } = await startWaiting("/prod/logs");
    await t.advanceTime(3_601_000);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(sideEffects.get(runId)).toBeUndefined();
    expect((run.output as { text: string }).text).toContain("nobody approved it in time");
    expect((await getRun(runId)).approvals[0]).toMatchObject({ status: "timeout" });
  });

  it("runs calls the predicate lets through without asking", async () => {
    const runId = await t.trigger("cleanup", { path: "/tmp/scratch" });
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
    expect(sideEffects.get(runId)).toEqual(["deleted /tmp/scratch"]);
    expect((await getRun(runId)).approvals).toEqual([]);
  });

  it("answers 404 for an unknown tool call and 400 for a bad body", async () => {
    const runId = await t.trigger("cleanup", { path: "/tmp/x" });
    await t.waitForRun(runId);
    expect((await decide(runId, "call_nope", { approved: true })).status).toBe(404);
    expect((await decide(runId, "call_nope", { approved: "yes" })).status).toBe(400);
  });

  it("puts every call of a turn up for review at once; decisions may come in any order", async () => {
    const runId = await t.trigger("two-keys", {});
    await t.waitForRun(runId, { status: "waiting" });
    const { pendingApprovals, approvals } = await getRun(runId);
    expect(approvals.map((a) => a.toolName).sort()).toEqual(["backup", "migrate"]);
    expect(pendingApprovals).toHaveLength(2);
    const byTool = new Map(approvals.map((a) => [a.toolName, a.toolCallId]));
    expect((await decide(runId, byTool.get("migrate") as string, { approved: true })).status).toBe(200);
    expect((await decide(runId, byTool.get("backup") as string, { approved: true })).status).toBe(200);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect([...(sideEffects.get(runId) ?? [])].sort()).toEqual(["backup", "migrate"]);
  });

  it("lists approvals waiting for a person across runs, oldest first, until each is decided or ends", async () => {
    const pending = async () => {
      const response = await fetch(`${t.url}/api/approvals?status=pending`);
      expect(response.status).toBe(200);
      return (await response.json()) as {
        count: number;
        approvals: Array<{ runId: string; workflow: string; toolCallId: string; expiresAt: number }>;
      };
    };
    const first = await startWaiting("/prod/a");
    const second = await startWaiting("/prod/b");
    const third = await startWaiting("/prod/c");
    const listed = await pending();
    expect(listed.approvals.map((a) => a.runId)).toEqual([first.runId, second.runId, third.runId]);
    expect(listed.count).toBe(3);
    expect(listed.approvals[0]).toMatchObject({ workflow: "cleanup", toolCallId: first.toolCallId });
    expect(listed.approvals[0]?.expiresAt).toBeGreaterThan(Date.now());

    await decide(second.runId, second.toolCallId, { approved: true });
    expect((await pending()).approvals.map((a) => a.runId)).toEqual([first.runId, third.runId]);
    const cancel = await fetch(`${t.url}/api/runs/${encodeURIComponent(third.runId)}/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer test-secret" },
    });
    expect(cancel.status).toBe(200);
    expect((await pending()).approvals.map((a) => a.runId)).toEqual([first.runId]);
    await t.advanceTime(3_601_000);
    expect((await t.waitForRun(first.runId)).status).toBe("succeeded");
    expect(await pending()).toMatchObject({ count: 0, approvals: [] });
    expect((await fetch(`${t.url}/api/approvals?status=approved`)).status).toBe(400);
  });
});
