import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, parseOut, startStack, type TestStack } from "./support/stack";

// A stand-in with a small max message size: run histories larger than it are lazily fetched by the
// SDK (empty-body step deliveries + GET /v2/workflows/runs/{id}); oversize publishes are refused.

const MAX = 64 * 1024;
const CHUNK = 20_000;
let stack: TestStack;
let url = "";
const chunk = (i: number) => String.fromCharCode(97 + i).repeat(CHUNK);

beforeAll(async () => {
  stack = await startStack({ maxMessageBytes: MAX });
  url = stack.app.workflow("/wf/big", async (context) => {
    const parts: string[] = [];
    for (let i = 0; i < 5; i++) parts.push(await context.run(`big-${i}`, () => chunk(i)));
    return parts.map((p, i) => p === chunk(i));
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("message size limits", () => {
  it("completes a run whose history outgrows the max message size (lazy fetch)", async () => {
    const { workflowRunId } = await stack.client.trigger({ url, body: { big: true } });
    await stack.waitForIdle();

    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect(parseOut(run?.workflowRunResponse)).toEqual([true, true, true, true, true]);

    const deliveries = stack.app.requests.filter(
      (r) => r.headers.get("upstash-workflow-runid") === workflowRunId,
    );
    expect(deliveries).toHaveLength(6);
    for (const d of deliveries) expect(Buffer.byteLength(d.body)).toBeLessThanOrEqual(MAX);
    // The later deliveries could not carry the history inline.
    expect(deliveries.filter((d) => d.body === "").length).toBeGreaterThanOrEqual(1);
    expect(deliveries.at(-1)?.body).toBe("");
  });

  it("refuses a publish larger than the max message size with a 4xx {error}", async () => {
    const before = stack.app.requests.length;
    const response = await fetch(`${stack.qstash.url}/v2/publish/${stack.app.at("/never")}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.qstash.token}`, "content-type": "text/plain" },
      body: "x".repeat(MAX + 1024),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const body = (await response.json()) as { error?: unknown };
    expect(typeof body.error).toBe("string");
    await stack.waitForIdle();
    expect(stack.app.requests.length).toBe(before);
  });
});
