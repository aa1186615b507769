import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "@/dev/testing";
import { createApprovalWorkflow, publishedKey } from "@/workflows/approval";

let t: TestStack;
const redis = () => t.overtime.config.redis;
const approval = createApprovalWorkflow({ redis, model: () => t.openai("gpt-4o-mini") });

beforeAll(async () => {
  t = await createTestStack({ workflows: [approval] });
});
afterAll(async () => {
  await t?.stop();
});

interface RunBody {
  approvals: Array<{ toolCallId: string; status: string; toolName: string; input: { title: string } }>;
  pendingApprovals: Array<{ toolCallId: string }>;
}

const runBody = async (runId: string) =>
  (await (await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}`)).json()) as RunBody;

const decide = (runId: string, toolCallId: string, body: unknown) =>
  fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/approvals/${encodeURIComponent(toolCallId)}`, {
    method: "POST",
    headers: { authorization: "Bearer test-secret", "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Starts a run, waits for its approval request, then restarts the app (a deploy while it waits). */
async function waitingForApproval(announcement: string) {
  const runId = await t.trigger("approval", { announcement, approvalTimeoutSeconds: 3_600 });
  await t.waitForRun(runId, { status: "waiting" });
  const { pendingApprovals, approvals } = await runBody(runId);
  expect(approvals).toMatchObject([
    { toolName: "publish", status: "pending", input: { title: announcement } },
  ]);
  t.restartApp();
  return { runId, toolCallId: (pendingApprovals[0] as { toolCallId: string }).toolCallId };
}

const published = async () => Object.keys((await redis().hgetall(publishedKey(t.overtime.key))) ?? {});

describe("approval", () => {
  it("publishes once a human approves, across an app restart", async () => {
    const { runId, toolCallId } = await waitingForApproval("v1.2 is out");
    expect(await published()).not.toContain(toolCallId);
    expect((await decide(runId, toolCallId, { approved: true })).status).toBe(200);
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({ outcome: "published" });
    expect((run.output as { report: string }).report).toContain('"published":true');
    expect(await published()).toContain(toolCallId);
    expect((await runBody(runId)).approvals[0]?.status).toBe("approved");
  });

  it("declined: publishes nothing and the agent reports it honestly", async () => {
    const { runId, toolCallId } = await waitingForApproval("v1.3 is out");
    await decide(runId, toolCallId, { approved: false, note: "not before the freeze ends" });
    const run = await t.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({ outcome: "declined", reviewerNote: "not before the freeze ends" });
    expect((run.output as { report: string }).report).toContain("not executed");
    expect(await published()).not.toContain(toolCallId);
  });

  it("times out: nobody decided within the hour, so nothing is published", async () => {
    const { runId, toolCallId } = await waitingForApproval("v1.4 is out");
    await t.advanceTime(3_600_000 + 1_000);
    const run = await t.waitForRun(runId);
    expect(run.output).toMatchObject({ outcome: "timeout" });
    expect((run.output as { report: string }).report).toContain("nobody approved it in time");
    expect(await published()).not.toContain(toolCallId);
    expect((await runBody(runId)).approvals[0]?.status).toBe("timeout");
  });
});
