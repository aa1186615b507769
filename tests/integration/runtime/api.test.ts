import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { signBody } from "@/lib/trigger/auth";
import { defineWorkflow } from "@/lib/workflow/define";

const SECRET = "test-secret-0123456789";
const failures = new Map<string, number>();

const order = defineWorkflow({
  name: "order",
  input: z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }),
  async handler({ context, input }) {
    await context.run("reserve", () => input.quantity);
    await context.sleep("settle", 3_600);
    return context.run("ship", () => `${input.sku} shipped`);
  },
});

const brittle = defineWorkflow({
  name: "brittle",
  input: z.object({ key: z.string() }),
  retries: 1,
  retryDelay: "50",
  async handler({ context, input }) {
    await context.run("first", () => 1);
    return context.run("second", () => {
      const seen = (failures.get(input.key) ?? 0) + 1;
      failures.set(input.key, seen);
      if (seen <= 2) throw new Error(`boom ${seen}`);
      return "recovered";
    });
  },
});

const approval = defineWorkflow({
  name: "approval",
  input: z.object({ id: z.string() }),
  async handler({ context, input }) {
    await context.run("prepare", () => input.id);
    const { eventData } = await context.waitForEvent("approval", `approve-${input.id}`, { timeout: "1h" });
    return context.run("finish", () => eventData);
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({
    workflows: [order, brittle, approval],
    triggerSecrets: { acme: SECRET },
    rateLimit: { requests: 1_000, window: "60 s" },
  });
});
afterAll(async () => {
  await t?.stop();
});

const bearer = { authorization: `Bearer ${SECRET}`, "content-type": "application/json" };
const post = (path: string, body: unknown, headers: Record<string, string> = bearer) =>
  fetch(`${t.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /api/trigger/{workflow}", () => {
  it("answers 202 with run urls before any step runs, and the run succeeds", async () => {
    const response = await post(
      "/api/trigger/order",
      { sku: "A-1", quantity: 2 },
      { ...bearer, "idempotency-key": "o-1" },
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { runId: string; statusUrl: string; eventsUrl: string };
    expect(body.statusUrl).toBe(`${t.url}/api/runs/${encodeURIComponent(body.runId)}`);
    expect(body.eventsUrl).toBe(`${body.statusUrl}/events`);
    await t.waitForRun(body.runId, { status: "sleeping" });
    const again = await post(
      "/api/trigger/order",
      { sku: "A-1", quantity: 2 },
      { ...bearer, "idempotency-key": "o-1" },
    );
    expect(((await again.json()) as { runId: string }).runId).toBe(body.runId);
    await t.advanceTime(3_601_000);
    const run = await t.waitForRun(body.runId);
    expect(run).toMatchObject({ status: "succeeded", source: "webhook", output: "A-1 shipped" });
  });

  it("lists each invalid field with its path (400)", async () => {
    const response = await post("/api/trigger/order", { sku: "", quantity: 1.5 });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(error.code).toBe("invalid_request");
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(["quantity", "sku"]);
    expect((await post("/api/trigger/order", "{not json")).status).toBe(400);
  });

  it("answers 404 for an unknown workflow", async () => {
    expect((await post("/api/trigger/nope", {})).status).toBe(404);
  });

  it("rejects missing, wrong, badly signed and stale credentials (401)", async () => {
    const raw = JSON.stringify({ sku: "B", quantity: 1 });
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "Missing credentials"],
      [{ authorization: "Bearer wrong" }, "Invalid bearer token"],
      [{ authorization: "Basic abc" }, "Bearer <secret>"],
      [
        { "x-overtime-timestamp": String(now), "x-overtime-signature": signBody("other", now, raw) },
        "Invalid signature",
      ],
      [
        {
          "x-overtime-timestamp": String(now - 3600),
          "x-overtime-signature": signBody(SECRET, now - 3600, raw),
        },
        "Stale timestamp",
      ],
    ];
    for (const [headers, message] of cases) {
      const response = await post("/api/trigger/order", raw, headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    }
    const signed = await post("/api/trigger/order", raw, {
      "content-type": "application/json",
      "x-overtime-timestamp": String(now),
      "x-overtime-signature": signBody(SECRET, now, raw),
    });
    expect(signed.status).toBe(202);
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a caller exceeds its limit", async () => {
    const limited = await createTestStack({
      workflows: [order],
      triggerSecrets: { acme: SECRET },
      rateLimit: { requests: 2, window: "60 s" },
    });
    try {
      const send = () =>
        fetch(`${limited.url}/api/trigger/nope`, { method: "POST", headers: bearer, body: "{}" });
      expect((await send()).status).toBe(404);
      expect((await send()).status).toBe(404);
      const third = await send();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });
});

describe("run API", () => {
  it("cancels a run during its sleep", async () => {
    const runId = await t.trigger("order", { sku: "C", quantity: 1 });
    await t.waitForRun(runId, { status: "sleeping" });
    const response = await post(`/api/runs/${encodeURIComponent(runId)}/cancel`, "");
    expect(response.status).toBe(200);
    await t.advanceTime(3_601_000);
    const { run, steps } = await t.getRun(runId);
    expect(run?.status).toBe("canceled");
    expect(steps.map((s) => s.name)).not.toContain("ship");
    expect((await post(`/api/runs/${encodeURIComponent(runId)}/cancel`, "")).status).toBe(409);
  });

  it("resumes a failed run from the DLQ at its failed step", async () => {
    const runId = await t.trigger("brittle", { key: "dlq" });
    await t.advanceTime(1_000);
    const failed = await t.waitForRun(runId);
    expect(failed.status).toBe("failed");
    expect(failed.error?.step).toBe("second");
    const response = await post(`/api/runs/${encodeURIComponent(runId)}/retry`, { mode: "resume" });
    expect(response.status).toBe(202);
    const resumed = (await response.json()) as { runId: string; mode: string };
    expect(resumed.mode).toBe("resume");
    const run = await t.waitForRun(resumed.runId, { status: "succeeded" });
    expect(run).toMatchObject({
      output: "recovered",
      source: "retry",
      retryOf: runId,
      input: { key: "dlq" },
    });
    const { steps } = await t.getRun(resumed.runId);
    expect(steps.map((s) => s.name)).toEqual(["second"]); // "first" was carried over, not re-run
  });

  it("replays a succeeded run as is and with an edited input validated by the schema", async () => {
    const runId = await t.trigger("order", { sku: "R-1", quantity: 1 });
    await t.waitForRun(runId, { status: "sleeping" });
    const early = await post(`/api/runs/${encodeURIComponent(runId)}/replay`, "");
    expect(early.status).toBe(409);
    await t.advanceTime(3_601_000);
    expect((await t.waitForRun(runId)).status).toBe("succeeded");

    const same = await post(`/api/runs/${encodeURIComponent(runId)}/replay`, "");
    expect(same.status).toBe(202);
    const sameBody = (await same.json()) as { runId: string; replayOf: string };
    expect(sameBody.replayOf).toBe(runId);
    const edited = await post(`/api/runs/${encodeURIComponent(runId)}/replay`, {
      input: { sku: "R-2", quantity: 3 },
    });
    expect(edited.status).toBe(202);
    const editedId = ((await edited.json()) as { runId: string }).runId;
    for (const id of [sameBody.runId, editedId]) await t.waitForRun(id, { status: "sleeping" });
    await t.advanceTime(3_601_000);
    expect(await t.waitForRun(sameBody.runId)).toMatchObject({
      status: "succeeded",
      retryOf: runId,
      input: { sku: "R-1", quantity: 1 },
      output: "R-1 shipped",
    });
    expect(await t.waitForRun(editedId)).toMatchObject({ retryOf: runId, output: "R-2 shipped" });
    expect((await t.getRun(runId)).run?.retriedAs).toBe(editedId);

    const invalid = await post(`/api/runs/${encodeURIComponent(runId)}/replay`, {
      input: { sku: "R-3", quantity: -1 },
    });
    expect(invalid.status).toBe(400);
    const { error } = (await invalid.json()) as { error: { issues: Array<{ path: string }> } };
    expect(error.issues.map((issue) => issue.path)).toEqual(["quantity"]);
    expect((await post(`/api/runs/${encodeURIComponent(runId)}/replay`, { inptu: {} })).status).toBe(400);
    expect((await post(`/api/runs/${encodeURIComponent(runId)}/replay`, "", {})).status).toBe(401);
  });

  it("tags runs from the Overtime-Tags header and filters by tag, status, workflow and time range", async () => {
    const start = async (workflow: string, input: unknown, tags?: string) => {
      const response = await post(`/api/trigger/${workflow}`, input, {
        ...bearer,
        ...(tags && { "overtime-tags": tags }),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { runId: string }).runId;
    };
    const before = Date.now();
    const tagged = await start("approval", { id: "tag-1" }, "team:alpha, nightly");
    const otherTag = await start("approval", { id: "tag-2" }, "team:beta");
    const taggedOrder = await start("order", { sku: "T", quantity: 1 }, "team:alpha");
    const untagged = await start("approval", { id: "tag-3" });
    for (const id of [tagged, otherTag, untagged]) await t.waitForRun(id, { status: "waiting" });
    await t.waitForRun(taggedOrder, { status: "sleeping" });
    expect((await t.getRun(tagged)).run?.tags).toEqual(["team:alpha", "nightly"]);

    const list = async (query: Record<string, string>) => {
      const response = await fetch(`${t.url}/api/runs?${new URLSearchParams(query)}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { runs: Array<{ id: string }> }).runs.map((run) => run.id);
    };
    expect(await list({ tag: "team:alpha" })).toEqual([taggedOrder, tagged]);
    expect(await list({ tag: "team:alpha", status: "waiting" })).toEqual([tagged]);
    expect(await list({ tag: "team:alpha", workflow: "order", source: "webhook" })).toEqual([taggedOrder]);
    expect(await list({ tag: "team:alpha", source: "schedule" })).toEqual([]);
    expect(await list({ tag: "team:alpha", from: String(before), to: String(Date.now()) })).toHaveLength(2);
    expect(await list({ tag: "team:alpha", to: String(before - 1) })).toEqual([]);
    expect(await list({ tag: "nightly", from: new Date(before).toISOString() })).toEqual([tagged]);

    const badTag = await post(
      "/api/trigger/approval",
      { id: "x" },
      { ...bearer, "overtime-tags": "Has Space" },
    );
    expect(badTag.status).toBe(400);
    const { error } = (await badTag.json()) as { error: { issues: Array<{ path: string }> } };
    expect(error.issues[0]?.path).toBe("overtime-tags.0");
    expect((await fetch(`${t.url}/api/runs?tag=UPPER`)).status).toBe(400);
    expect((await fetch(`${t.url}/api/runs?from=yesterday`)).status).toBe(400);
    // Let the waits end, so the other list tests see only their own waiting runs.
    for (let i = 1; i <= 3; i++) await post(`/api/events/approve-tag-${i}`, { ok: true });
    for (const id of [tagged, otherTag, untagged]) await t.waitForRun(id, { status: "succeeded" });
  });

  it("names the workflow field when listing an unknown workflow (400)", async () => {
    const response = await fetch(`${t.url}/api/runs?workflow=nosuch`);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { issues: Array<{ path: string }> } };
    expect(error.issues.map((issue) => issue.path)).toEqual(["workflow"]);
  });

  it("lists runs newest first, filtered, with a cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await t.trigger("approval", { id: `list-${i}` }));
    for (const id of ids) await t.waitForRun(id, { status: "waiting" });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({
        workflow: "approval",
        status: "waiting",
        limit: "2",
        ...(cursor && { cursor }),
      });
      const page = (await (await fetch(`${t.url}/api/runs?${query}`)).json()) as {
        runs: Array<{ id: string }>;
        nextCursor?: string;
      };
      seen.push(...page.runs.map((run) => run.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await fetch(`${t.url}/api/runs?status=bogus`)).status).toBe(400);
    for (let i = 0; i < 3; i++) await post(`/api/events/approve-list-${i}`, { ok: i });
    for (const id of ids) expect((await t.waitForRun(id)).status).toBe("succeeded");
  });

  it("pages through runs that share one creation millisecond without repeats or gaps", async () => {
    const { store } = t.overtime;
    const createdAt = Date.now() - 60_000;
    const ids = Array.from({ length: 130 }, (_, i) => `wfr_same-ms-${String(i).padStart(3, "0")}`);
    await store.apply(
      ids.map((id) => store.updateRun(id, "burst", { status: "queued", setOnce: { createdAt } })),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRuns({ workflow: "burst", limit: 20, cursor });
      seen.push(...page.runs.map((run) => run.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});

describe("GET /api/runs/{id}/events", () => {
  it("attached mid-run, delivers the history and then live events, resumable with Last-Event-ID", async () => {
    const runId = await t.trigger("approval", { id: "sse" });
    await t.waitForRun(runId, { status: "waiting" });
    const response = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/events`);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = readEvents(response);
    const history = await reader.until((e) => e.event === "step.started" && e.data.step === "approval");
    expect(history.map((e) => e.event)).toContain("step.finished");
    await t.notify("approve-sse", { approved: true });
    const live = await reader.until((e) => e.event === "run.status" && e.data.status === "succeeded");
    expect(live.map((e) => e.data.step).filter(Boolean)).toContain("finish");
    const lastSeen = history.at(-1)?.id as string;
    const resumed = await fetch(`${t.url}/api/runs/${encodeURIComponent(runId)}/events`, {
      headers: { "last-event-id": lastSeen },
    });
    const replay = await readEvents(resumed).until(
      (e) => e.event === "run.status" && e.data.status === "succeeded",
    );
    expect(replay.map((e) => e.id)).toEqual(live.map((e) => e.id));
  });
});

interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

function readEvents(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async until(done: (event: SseEvent) => boolean): Promise<SseEvent[]> {
      const events: SseEvent[] = [];
      for (;;) {
        let boundary = buffer.indexOf("\n\n");
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event = parseBlock(block);
          if (event) {
            events.push(event);
            if (done(event)) return events;
          }
          boundary = buffer.indexOf("\n\n");
        }
        const next = await reader.read();
        if (next.done) throw new Error(`stream ended; got ${JSON.stringify(events.map((e) => e.event))}`);
        buffer += decoder.decode(next.value, { stream: true });
      }
    },
  };
}

function parseBlock(block: string): SseEvent | undefined {
  const fields = Object.fromEntries(
    block
      .split("\n")
      .filter((line) => !line.startsWith(":") && line.includes(": "))
      .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
  );
  if (!fields.event || !fields.id || !fields.data) return undefined;
  return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) };
}
