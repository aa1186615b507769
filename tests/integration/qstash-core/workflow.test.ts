import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@upstash/qstash";
import { serve, Client as WorkflowClient } from "@upstash/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Harness, startHarness } from "./harness";

let h: Harness;
let app: Server;
let appUrl = "";
let workflow: WorkflowClient;
const hits: { path: string; headers: Record<string, string>; body: string }[] = [];
type Handler = (request: Request) => Promise<Response>;
const routes = new Map<string, Handler>();

beforeAll(async () => {
  h = await startHarness();
  workflow = new WorkflowClient({ baseUrl: h.qstash.url, token: h.qstash.token });
  app = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    hits.push({ path, headers: Object.fromEntries(headers.entries()), body: body.toString("utf8") });
    const handler = routes.get(path);
    const response = handler
      ? await handler(
          new Request(`${appUrl}${req.url}`, {
            method: req.method,
            headers,
            body: req.method === "GET" ? undefined : body,
          }),
        )
      : new Response("plain endpoint", { status: 200 });
    res.statusCode = response.status;
    response.headers.forEach((value, key) => {
      res.setHeader(key, value);
    });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  // The app's client keeps the SDK's default network retries (it must ride out a stand-in restart).
  const qstashClient = new Client({ baseUrl: h.qstash.url, token: h.qstash.token });
  const receiver = h.receiver;
  routes.set(
    "/wf",
    serve<string>(
      async (context) => {
        const a = await context.run("a", () => `A:${context.requestPayload}`);
        const event = await context.waitForEvent("wait", "evt-core", { timeout: "1h" });
        return { a, event: event.eventData, timeout: event.timeout, tenant: context.headers.get("x-tenant") };
      },
      { qstashClient, receiver },
    ).handler,
  );
  routes.set(
    "/wf-many",
    serve<number>(
      async (context) => {
        let total = 0;
        for (let step = 0; step < 5; step++) total = await context.run(`s${step}`, () => total + step);
        const [a, b] = await Promise.all([context.run("pa", () => 1), context.run("pb", () => 2)]);
        return total + (a ?? 0) + (b ?? 0) + (context.requestPayload ?? 0);
      },
      { qstashClient, receiver },
    ).handler,
  );
  let failureCalls = 0;
  routes.set(
    "/wf-fail",
    serve<string>(
      async (context) => {
        await context.run("boom", () => {
          throw new Error("step always fails");
        });
      },
      {
        qstashClient,
        receiver,
        failureFunction: async () => {
          failureCalls++;
          if (failureCalls === 1) throw new Error("failure function fails once");
          return "handled";
        },
      },
    ).handler,
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    app.close(() => resolve());
    app.closeAllConnections();
  });
  await h?.stop();
});

const waitUntil = async (probe: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
};

const runLog = async (runId: string) => (await workflow.logs({ workflowRunId: runId })).runs[0];

describe("workflow protocol details", () => {
  it("REST trigger with Upstash-Workflow-Unknown-Sdk does the handshake; notify returns waiter results", async () => {
    const res = await api(h, "POST", `/v2/trigger/${appUrl}/wf`, {
      body: "payload",
      headers: {
        "Upstash-Workflow-Unknown-Sdk": "true",
        "Upstash-Forward-X-Tenant": "acme",
        "Content-Type": "text/plain",
      },
    });
    expect(res.status).toBe(200);
    const runId = String(res.json.workflowRunId);
    expect(runId).toMatch(/^wfr_/);
    expect(res.json.workflowCreatedAt).toBeGreaterThan(0);
    await waitUntil(
      async () => ((await workflow.getWaiters({ eventId: "evt-core" })) as unknown[]).length === 1,
    );
    const handshake = hits.find((hit) => hit.headers["upstash-workflow-unknown-sdk"] === "true");
    expect(handshake?.headers["upstash-workflow-runid"]).toBe(runId);
    expect(handshake?.headers["upstash-workflow-sdk-version"]).toBeUndefined();

    const notified = await workflow.notify({ eventId: "evt-core", eventData: { ok: 1 } });
    expect(notified).toHaveLength(1);
    expect(notified[0]?.messageId).toMatch(/^msg_/);
    await waitUntil(async () => (await runLog(runId))?.workflowState === "RUN_SUCCESS");
    const run = await runLog(runId);
    expect(JSON.parse(String(run?.workflowRunResponse))).toEqual({
      a: "A:payload",
      event: { ok: 1 },
      timeout: false,
      tenant: "acme",
    });
    const types = run?.steps.map((g) => g.type);
    expect(types?.[0]).toBe("sequential");
    expect(run?.steps[0]?.steps[0]).toMatchObject({
      stepName: "init",
      stepType: "Initial",
      state: "STEP_SUCCESS",
    });
  });

  it("fails a run whose destination is not a workflow (WF_DetectTrigger) with the exact log shape", async () => {
    const { workflowRunId } = await workflow.trigger({ url: `${appUrl}/plain`, body: "x", retries: 3 });
    await waitUntil(async () => (await runLog(workflowRunId))?.workflowState === "RUN_FAILED");
    const run = await runLog(workflowRunId);
    expect(run?.steps).toHaveLength(2);
    expect(run?.steps[0]?.type).toBe("sequential");
    const next = run?.steps[1];
    expect(next?.type).toBe("next");
    const step = next?.steps[0] as unknown as { state: string; errors: { error: string; body: string }[] };
    expect(step.state).toBe("STEP_FAILED");
    expect(step.errors).toHaveLength(1);
    expect(step.errors[0]?.error).toBe(
      "detected a non-workflow destination for trigger/invoke. make sure you are sending the request to the correct endpoint",
    );
    expect(step.errors[0]?.body).toBe("plain endpoint");
    // trigger + failure callback (to the workflow URL itself, the default failureUrl)
    await waitUntil(() => hits.filter((hit) => hit.path === "/plain").length === 2);
    const failureCall = hits.filter((hit) => hit.path === "/plain")[1];
    expect(failureCall?.headers["upstash-workflow-is-failure"]).toBe("true");
    expect(failureCall?.headers["upstash-workflow-runid"]).toBe(workflowRunId);
    expect(failureCall?.headers["upstash-workflow-sdk-version"]).toBeUndefined();
    const failureBody = JSON.parse(failureCall?.body ?? "{}");
    expect(failureBody).toMatchObject({ workflowRunId, sourceBody: Buffer.from("x").toString("base64") });
    const dlq = await workflow.dlq.list();
    expect(dlq.messages.some((m) => m.workflowRunId === workflowRunId)).toBe(true);
  });

  it("retries a failed failure function from the workflow DLQ", async () => {
    const { workflowRunId } = await workflow.trigger({ url: `${appUrl}/wf-fail`, body: "p", retries: 0 });
    await waitUntil(async () => (await runLog(workflowRunId))?.failureFunction?.state === "CALLBACK_FAIL");
    const failed = await workflow.dlq.list({ filter: { failureFunctionState: "CALLBACK_FAIL" } });
    const entry = failed.messages.find((m) => m.workflowRunId === workflowRunId);
    expect(entry).toBeDefined();
    const retried = await workflow.dlq.retryFailureFunction({ dlqId: String(entry?.dlqId) });
    expect(retried).toMatchObject({ workflowRunId });
    await waitUntil(async () => (await runLog(workflowRunId))?.failureFunction?.state === "CALLBACK_SUCCESS");
    expect((await runLog(workflowRunId))?.workflowState).toBe("RUN_FAILED");
  });

  it("runs 40 concurrent runs (5 steps + a parallel pair each) to completion", async () => {
    const started = Date.now();
    const runs = await workflow.trigger(
      Array.from({ length: 40 }, (_, n) => ({ url: `${appUrl}/wf-many`, body: n })),
    );
    await waitUntil(async () => {
      const states = await Promise.all(runs.map(async (r) => (await runLog(r.workflowRunId))?.workflowState));
      return states.every((state) => state === "RUN_SUCCESS");
    }, 60_000);
    const results = await Promise.all(
      runs.map(async (r) => Number((await runLog(r.workflowRunId))?.workflowRunResponse)),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, n) => 10 + 3 + n));
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("finishes every run when the stand-in restarts in the middle of them", async () => {
    const runs = await workflow.trigger(
      Array.from({ length: 20 }, (_, n) => ({ url: `${appUrl}/wf-many`, body: n })),
    );
    await new Promise((r) => setTimeout(r, 150));
    await h.restart();
    try {
      await waitUntil(async () => {
        const states = await Promise.all(
          runs.map(async (r) => (await runLog(r.workflowRunId))?.workflowState),
        );
        if (states.every((state) => state === "RUN_SUCCESS")) return true;
        // Deliveries that failed while the stand-in was down retry after the real backoff: move time along.
        await h.advance(15_000);
        return false;
      }, 20_000);
    } catch (error) {
      for (const r of runs) {
        const log = await runLog(r.workflowRunId);
        if (log?.workflowState === "RUN_SUCCESS") continue;
        console.log(
          "STUCK",
          r.workflowRunId,
          JSON.stringify(
            log?.steps.map((g) => [
              g.type,
              g.steps.map((x) => [x.stepName, x.state, (x as { messageId?: string }).messageId]),
            ]),
          ),
        );
        console.log(h.logs.filter((l) => l.includes(r.workflowRunId)).join("\n"));
      }
      console.log("PENDING", JSON.stringify(await h.pending()));
      console.log(
        h.logs
          .filter((l) => !l.startsWith("deliver") && !l.startsWith("api"))
          .slice(-30)
          .join("\n"),
      );
      throw error;
    }
    const results = await Promise.all(
      runs.map(async (r) => Number((await runLog(r.workflowRunId))?.workflowRunResponse)),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => 13 + n));
  });

  it("answers 404 to the lazy fetch of an ended or unknown run and 400 to appending to it", async () => {
    expect((await api(h, "GET", "/v2/workflows/runs/wfr_unknown")).status).toBe(404);
    const append = await api(h, "POST", "/v2/batch", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([
        {
          destination: `${appUrl}/wf`,
          headers: { "upstash-workflow-runid": "wfr_unknown", "upstash-workflow-init": "false" },
          body: "{}",
        },
      ]),
    });
    expect(append.status).toBe(400);
  });
});
