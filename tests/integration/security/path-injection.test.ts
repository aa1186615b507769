import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { defineWorkflow } from "@/lib/workflow/define";

/**
 * Ids from callers go into the app's own QStash API calls (the SDKs join URL path segments unescaped).
 * Every id shape that could steer such a call must be rejected with 400 (or work as an opaque id), a
 * server standing in for an attacker's URL must receive nothing, and the QStash stand-in's API log must
 * show no call outside the endpoints the app means to use.
 */
const SECRET = "injection-secret-0123456789";

const waiter = defineWorkflow({
  name: "waiter",
  input: z.object({ eventId: z.string() }),
  async handler({ context, input }) {
    await context.run("fetch:1", () => "first");
    const { eventData } = await context.waitForEvent("wait", input.eventId, { timeout: "1h" });
    return context.run("finish", () => eventData);
  },
});

/** A workflow that hands its input to QStash as an event id and a `context.call` URL. */
const relay = defineWorkflow({
  name: "relay",
  input: z.object({ eventId: z.string().optional(), url: z.string().optional() }),
  async handler({ context, input }) {
    if (input.url) await context.call("fetch", { url: input.url, method: "GET", retries: 0 });
    if (input.eventId) await context.waitForEvent("wait", input.eventId, { timeout: "1h" });
    return "done";
  },
});

let t: TestStack;
let attacker: Server;
let attackerHits = 0;
const attackerPaths: string[] = [];
let attackerPort = 0;
const apiCalls: string[] = [];

beforeAll(async () => {
  attacker = createServer((req, res) => {
    attackerHits++;
    attackerPaths.push(req.url ?? "");
    res.end("pwned");
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  t = await createTestStack({
    workflows: [waiter, relay],
    triggerSecrets: { acme: SECRET },
    rateLimit: { requests: 10_000, window: "60 s" },
    onLog: (service, line) => {
      if (service === "qstash" && line.startsWith("api ")) apiCalls.push(line);
    },
  });
});
afterAll(async () => {
  await t?.stop();
  await new Promise<void>((resolve) => attacker?.close(() => resolve()));
});

/** Sends the path exactly as written (fetch would normalize `..` and some escapes first). */
function raw(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${SECRET}`,
          "content-type": "application/json",
          ...(body !== undefined && { "content-length": Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const enc = encodeURIComponent;

/** Raw path segments a caller could send, each aimed at the attacker's server or another QStash endpoint. */
function hostileSegments(): Array<[string, string]> {
  const target = `http://127.0.0.1:${attackerPort}/ssrf`;
  return [
    ["encoded ../ to /v2/publish", enc(`../../v2/publish/${target}`)],
    ["encoded ../ to schedules", enc("../../v2/schedules")],
    ["%2F inside", `a${enc("/")}b`],
    ["backslashes", enc(`..\\..\\v2\\publish\\${target}`)],
    ["query", enc("a?cancel=true")],
    ["fragment", enc("a#b")],
    ["NUL", "a%00b"],
    ["space", "a%20b"],
    ["unicode", enc("événement✓")],
    ["a lone ..", "%2e%2e"],
    ["bad percent-encoding", "%ZZ"],
    ["too long", "a".repeat(300)],
  ];
}

function expectClientError(response: { status: number; text: string }, what: string) {
  expect(response.status, `${what}: ${response.text}`).toBeGreaterThanOrEqual(400);
  expect(response.status, `${what}: ${response.text}`).toBeLessThan(500);
  expect(response.text).not.toMatch(/\s+at\s+\S+\s+\(|node_modules|\/work\/|file:\/\//);
}

describe("ids from callers never steer a QStash API call", () => {
  it("rejects hostile event ids with 400 naming the field", async () => {
    for (const [what, segment] of hostileSegments()) {
      const response = await raw("POST", `/api/events/${segment}`, JSON.stringify({ pwned: true }));
      expectClientError(response, what);
      if (response.status === 400) expect(JSON.parse(response.text).error.issues[0].path).toBe("eventId");
    }
  });

  it("rejects hostile run ids on every run route", async () => {
    const routes: Array<[string, (id: string) => string, string?]> = [
      ["GET", (id) => `/api/runs/${id}`],
      ["GET", (id) => `/api/runs/${id}/events`],
      ["GET", (id) => `/api/runs/${id}/steps/fetch%3A1`],
      ["POST", (id) => `/api/runs/${id}/cancel`, ""],
      ["POST", (id) => `/api/runs/${id}/retry`, "{}"],
      ["POST", (id) => `/api/runs/${id}/approvals/call_1`, JSON.stringify({ approved: true })],
    ];
    for (const [method, path, body] of routes) {
      for (const [what, segment] of hostileSegments()) {
        const response = await raw(method, path(segment), body);
        expectClientError(response, `${method} ${path("<id>")} with ${what}`);
      }
    }
  });

  it("treats hostile step names, tool call ids and workflow names as opaque lookups", async () => {
    const runId = await t.trigger("waiter", { eventId: "opaque-check" });
    await t.waitForRun(runId, { status: "waiting" });
    // A lone `..` segment is resolved by URL parsing before routing (it names the parent path).
    for (const [what, segment] of hostileSegments().filter(([what]) => what !== "a lone ..")) {
      const step = await raw("GET", `/api/runs/${enc(runId)}/steps/${segment}`);
      expectClientError(step, `step ${what}`);
      const approval = await raw(
        "POST",
        `/api/runs/${enc(runId)}/approvals/${segment}`,
        JSON.stringify({ approved: true }),
      );
      expectClientError(approval, `tool call ${what}`);
      const trigger = await raw("POST", `/api/trigger/${segment}`, JSON.stringify({ eventId: "x" }));
      expectClientError(trigger, `workflow ${what}`);
    }
    await t.notify("opaque-check", "done");
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
  });

  it("keeps ids with ':' working for runs, events and steps", async () => {
    const runId = await t.trigger("waiter", { eventId: "order:42:paid" }, { runId: "order:42" });
    expect(runId).toBe("wfr_order:42");
    await t.waitForRun(runId, { status: "waiting" });
    for (const path of [`/api/runs/${runId}`, `/api/runs/${enc(runId)}`]) {
      const view = await raw("GET", path);
      expect(view.status).toBe(200);
      expect(JSON.parse(view.text).run.id).toBe(runId);
    }
    const step = await raw("GET", `/api/runs/${runId}/steps/fetch:1`);
    expect(step.status, step.text).toBe(200);
    const notified = await raw("POST", "/api/events/order:42:paid", JSON.stringify({ paid: true }));
    expect(notified.status, notified.text).toBe(200);
    expect(JSON.parse(notified.text)).toEqual({ eventId: "order:42:paid", notified: 1 });
    const run = await t.waitForRun(runId);
    expect(run).toMatchObject({ status: "succeeded", output: { paid: true } });

    const second = await t.trigger("waiter", { eventId: "never" }, { runId: "order:43" });
    await t.waitForRun(second, { status: "waiting" });
    const canceled = await raw("POST", `/api/runs/${second}/cancel`, "");
    expect(canceled.status, canceled.text).toBe(200);
    expect((await t.waitForRun(second)).status).toBe("canceled");
  });

  it("fails a run whose own input would steer a QStash URL, naming the step", async () => {
    const target = `http://127.0.0.1:${attackerPort}/ssrf`;
    for (const eventId of [`../../v2/publish/${target}`, "a?b", "a b"]) {
      const runId = await t.trigger("relay", { eventId });
      const run = await t.waitForRun(runId);
      expect(run.status).toBe("failed");
      expect(run.error?.message).toContain('waitForEvent "wait": invalid event id');
    }
    const ftp = await t.waitForRun(await t.trigger("relay", { url: "ftp://127.0.0.1/x" }));
    expect(ftp.error?.message).toContain("url must be http(s)");
  });

  it("hands QStash a context.call URL normalized (no dot segments), as http(s) only", async () => {
    const before = attackerHits;
    const climbing = `http://127.0.0.1:${attackerPort}/a/../../../../v2/schedules`;
    const run = await t.waitForRun(await t.trigger("relay", { url: climbing }));
    expect(run.status).toBe("succeeded");
    expect(attackerHits).toBe(before + 1);
    expect(attackerPaths.at(-1)).toBe("/v2/schedules");
    // The workflow chose this destination itself; only the hostile-id tests must leave it untouched.
    attackerHits = before;
  });

  it("sent nothing to the attacker and called only the intended QStash endpoints", async () => {
    await t.waitForIdle();
    expect(attackerHits).toBe(0);
    expect(apiCalls.length).toBeGreaterThan(0);
    const appWorkflows = `/v2/publish/${t.url}/api/workflows/`;
    const intended = [
      (path: string) => path.startsWith(appWorkflows),
      (path: string) => /^\/v2\/wait\/[A-Za-z0-9_.:@~=+-]+$/.test(path),
      (path: string) => /^\/v2\/notify\/[A-Za-z0-9_.:@~=+-]+(\/[A-Za-z0-9_.:@~=+-]+)?$/.test(path),
      (path: string) => /^\/v2\/workflows\/(runs|events|logs|dlq)(\/|\?|$)/.test(path),
      (path: string) => /^\/v2\/(batch|events|dlq|waiters\/)/.test(path),
      (path: string) => path.startsWith("/__dev/"),
    ];
    const unexpected = apiCalls
      .map((line) => /^api \S+ (\S+)/.exec(line)?.[1] ?? line)
      .filter((path) => !intended.some((ok) => ok(path)));
    expect(unexpected).toEqual([]);
    expect(
      apiCalls.filter((line) => line.includes(String(attackerPort)) && !line.includes("/v2/batch")),
    ).toEqual([]);
  });
});
