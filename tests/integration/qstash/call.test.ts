import type { WorkflowContext } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, stepsOf, type TestStack } from "./support/stack";

// context.call against a local third party answering 201, 401 and 500.

let stack: TestStack;
let callsUrl = "";
let retryingUrl = "";
type Seen = { status: number; body: unknown; custom: string | undefined; contentType: string | undefined };
const results = new Map<string, Seen[]>();

const summarize = (r: { status: number; body: unknown; header: Record<string, string[]> }): Seen => ({
  status: r.status,
  body: r.body,
  custom: r.header["X-Custom-Header"]?.[0],
  contentType: r.header["Content-Type"]?.[0],
});

beforeAll(async () => {
  stack = await startStack();
  callsUrl = stack.app.workflow("/wf/calls", async (context: WorkflowContext) => {
    const created = await context.call("call-201", {
      url: stack.thirdParty(201),
      method: "POST",
      body: JSON.stringify({ hello: "world" }),
      headers: { "x-test": "from-workflow", "content-type": "application/json" },
    });
    const unauthorized = await context.call("call-401", { url: stack.thirdParty(401) });
    const broken = await context.call("call-500", { url: stack.thirdParty(500), method: "PUT" });
    await context.run("after-calls", () => {
      results.set(context.workflowRunId, [summarize(created), summarize(unauthorized), summarize(broken)]);
    });
  });
  retryingUrl = stack.app.workflow("/wf/call-retry", async (context: WorkflowContext) => {
    const broken = await context.call("call-500-retry", {
      url: stack.thirdParty(500),
      retries: 2,
      retryDelay: "1000",
    });
    await context.run("after-call", () => {
      results.set(context.workflowRunId, [summarize(broken)]);
    });
  });
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expectAllVerified(stack.app);
});

describe.sequential("context.call", () => {
  it("hands status, body and canonical headers of 201/401/500 answers back and keeps running", async () => {
    const before = await stack.stats();
    const { workflowRunId } = await stack.client.trigger({ url: callsUrl });
    await stack.waitForIdle();

    expect(results.get(workflowRunId)).toEqual([
      {
        status: 201,
        body: { status: 201, method: "POST", echo: '{"hello":"world"}', test: "from-workflow" },
        custom: "custom-201",
        contentType: "application/json",
      },
      {
        status: 401,
        body: { status: 401, method: "GET", echo: "", test: null },
        custom: "custom-401",
        contentType: "application/json",
      },
      {
        status: 500,
        body: { status: 500, method: "PUT", echo: "", test: null },
        custom: "custom-500",
        contentType: "application/json",
      },
    ]);
    const run = await stack.getLogs(workflowRunId);
    expect(run?.workflowState).toBe("RUN_SUCCESS");
    expect.soft(stepsOf(run).find((s) => s.stepName === "call-201")).toMatchObject({
      stepType: "Call",
      callUrl: stack.thirdParty(201),
      callMethod: "POST",
      callResponseStatus: 201,
    });

    // The third party got exactly one signed request per call (retries default to 0).
    const thirdParty = stack.app.received("/third-party/*").slice(-3);
    expect(thirdParty.map((r) => [r.path, r.method])).toEqual([
      ["/third-party/201", "POST"],
      ["/third-party/401", "GET"],
      ["/third-party/500", "PUT"],
    ]);
    // Callbacks are not step deliveries: no Upstash-Workflow-Sdk-Version, but the run id and callback marker.
    const callbacks = stack.app
      .received("/wf/calls")
      .filter((r) => r.headers.get("upstash-workflow-callback") === "true");
    expect(callbacks).toHaveLength(3);
    for (const cb of callbacks) {
      expect(cb.headers.get("upstash-workflow-sdk-version")).toBeNull();
      expect(cb.headers.get("upstash-workflow-runid")).toBe(workflowRunId);
      const body = JSON.parse(cb.body) as {
        header: Record<string, string[]>;
        retried: number;
        maxRetries: number;
      };
      expect(Object.keys(body.header)).toContain("X-Custom-Header");
      expect(body.retried).toBe(0);
      expect(body.maxRetries).toBe(0);
    }
    // trigger + (callback + call-result step) x 3 + delivery of the after-calls result
    expect(stack.app.received("/wf/calls")).toHaveLength(1 + 3 * 2 + 1);

    const delta = await stack.statsSince(before);
    expect(delta["byKind.call"]).toBe(3);
    expect(delta["byKind.callback"]).toBe(3);
    expect(delta.failed).toBe(0);
  });

  it("retries a failing call and sends a single callback after the last attempt", async () => {
    const { workflowRunId } = await stack.client.trigger({ url: retryingUrl });
    await stack.waitForIdle();
    const hits = () => stack.app.received("/third-party/500").length;
    const start = hits();
    expect(results.get(workflowRunId)).toBeUndefined();

    await stack.advance(1_000);
    expect(hits()).toBe(start + 1);
    await stack.advance(1_000);
    expect(hits()).toBe(start + 2);

    expect(results.get(workflowRunId)).toEqual([
      {
        status: 500,
        body: { status: 500, method: "GET", echo: "", test: null },
        custom: "custom-500",
        contentType: "application/json",
      },
    ]);
    const callbacks = stack.app
      .received("/wf/call-retry")
      .filter((r) => r.headers.get("upstash-workflow-runid") === workflowRunId)
      .filter((r) => r.headers.get("upstash-workflow-callback") === "true");
    expect(callbacks).toHaveLength(1);
    const body = JSON.parse(callbacks[0]?.body ?? "{}") as {
      retried: number;
      maxRetries: number;
      status: number;
    };
    expect(body).toMatchObject({ status: 500, retried: 2, maxRetries: 2 });
    expect(await stack.runState(workflowRunId)).toBe("RUN_SUCCESS");
  });
});
