import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, type Harness, startHarness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxMessageBytes: 10_000 });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => {
  h.endpoint.requests.length = 0;
  h.endpoint.responder = () => ({ status: 200, body: "ok" });
});

const settle = () => h.settle();

describe("schedules", () => {
  it("round-trips everything the SDK sets", async () => {
    const { scheduleId } = await h.client.schedules.create({
      destination: `${h.endpoint.url}/scheduled?x=1`,
      cron: "*/10 * * * * ",
      body: '{"hello":"world"}',
      headers: { "Test-Header": "t" },
      method: "PUT",
      delay: 30,
      retries: 2,
      retryDelay: "1000",
      callback: `${h.endpoint.url}/cb`,
      failureCallback: `${h.endpoint.url}/fcb`,
      timeout: 20,
      flowControl: { key: "fc-sched", parallelism: 2, rate: 5, period: "1d" },
      label: "sched-label",
      scheduleId: "my-schedule.1",
    });
    expect(scheduleId).toBe("my-schedule.1");
    const schedule = await h.client.schedules.get(scheduleId);
    expect(schedule).toMatchObject({
      scheduleId,
      cron: "*/10 * * * *",
      destination: `${h.endpoint.url}/scheduled?x=1`,
      method: "PUT",
      body: '{"hello":"world"}',
      retries: 2,
      delay: 30,
      callback: `${h.endpoint.url}/cb`,
      failureCallback: `${h.endpoint.url}/fcb`,
      retryDelayExpression: "1000",
      flowControlKey: "fc-sched",
      parallelism: 2,
      rate: 5,
      period: 86400,
      isPaused: false,
      label: "sched-label",
    });
    expect(schedule.header).toMatchObject({ "Test-Header": ["t"], "Content-Type": ["application/json"] });
    expect((await h.client.schedules.list()).map((s) => s.scheduleId)).toContain(scheduleId);

    // Same id again = update.
    await h.client.schedules.create({
      destination: `${h.endpoint.url}/scheduled`,
      cron: "0 * * * *",
      scheduleId,
    });
    expect((await h.client.schedules.get(scheduleId)).cron).toBe("0 * * * *");
    await h.client.schedules.delete(scheduleId);
    expect((await api(h, "GET", `/v2/schedules/${scheduleId}`)).status).toBe(404);
  });

  it("fires on the virtual clock, skips while paused, and tags deliveries with the schedule id", async () => {
    const { scheduleId } = await h.client.schedules.create({
      destination: `${h.endpoint.url}/tick`,
      cron: "*/5 * * * *",
      body: "tick",
    });
    await h.advance(5 * 60_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/tick").length === 1);
    expect(h.endpoint.on("/tick")[0]?.headers["upstash-schedule-id"]).toBe(scheduleId);
    await h.client.schedules.pause({ schedule: scheduleId });
    expect((await h.client.schedules.get(scheduleId)).isPaused).toBe(true);
    await h.advance(5 * 60_000);
    await settle();
    expect(h.endpoint.on("/tick")).toHaveLength(1);
    await h.client.schedules.resume({ schedule: scheduleId });
    await h.advance(5 * 60_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/tick").length === 2);
    const schedule = await h.client.schedules.get(scheduleId);
    expect(schedule.lastScheduleTime).toBeGreaterThan(0);
    expect(schedule.nextScheduleTime).toBeGreaterThan(schedule.lastScheduleTime ?? 0);
    await h.client.schedules.delete(scheduleId);
  });

  it("fires each schedule once for a clock skip, at the latest slot it passed (like cron after a sleep)", async () => {
    const { scheduleId } = await h.client.schedules.create({
      destination: `${h.endpoint.url}/skip`,
      cron: "*/5 * * * *",
    });
    await h.advance(3 * 86_400_000); // three days: 864 slots
    await h.endpoint.waitFor(() => h.endpoint.on("/skip").length === 1);
    await settle();
    expect(h.endpoint.on("/skip")).toHaveLength(1);
    const { lastScheduleTime, nextScheduleTime } = await h.client.schedules.get(scheduleId);
    const { now } = (await (await fetch(`${h.qstash.url}/__dev/clock`)).json()) as { now: number };
    expect(now - (lastScheduleTime ?? 0)).toBeLessThan(5 * 60_000); // the latest slot, not the first
    expect(nextScheduleTime).toBeGreaterThan(now);
    await h.client.schedules.delete(scheduleId);
  });

  it('fires every slot a clock advance passes over, in order, with "schedules": "every-slot"', async () => {
    const { scheduleId } = await h.client.schedules.create({
      destination: `${h.endpoint.url}/slots`,
      cron: "*/5 * * * *",
    });
    await h.advance(15 * 60_000, "every-slot");
    await h.endpoint.waitFor(() => h.endpoint.on("/slots").length === 3);
    await settle();
    expect(h.endpoint.on("/slots")).toHaveLength(3);
    await h.client.schedules.delete(scheduleId);
  });

  it("rejects a bad cron with 400 naming it", async () => {
    const res = await api(h, "POST", `/v2/schedules/${h.endpoint.url}/x`, {
      headers: { "Upstash-Cron": "every minute" },
    });
    expect(res.status).toBe(400);
    expect(String(res.json.error)).toContain("every minute");
  });
});

describe("queues", () => {
  it("upserts, lists, pauses, resumes and delivers FIFO with parallelism 1", async () => {
    const queue = h.client.queue({ queueName: "q-one" });
    await queue.upsert({ parallelism: 1 });
    expect(await queue.get()).toMatchObject({ name: "q-one", parallelism: 1, paused: false, lag: 0 });
    let inFlight = 0;
    let maxInFlight = 0;
    h.endpoint.responder = () => ({ status: 200 });
    const originalStart = h.endpoint.requests.length;
    void originalStart;
    await queue.pause();
    for (const n of [1, 2, 3]) await queue.enqueue({ url: `${h.endpoint.url}/q?n=${n}`, body: String(n) });
    await settle();
    expect(h.endpoint.requests).toHaveLength(0);
    expect((await queue.get()).lag).toBe(3);
    h.endpoint.responder = () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => inFlight--, 0);
      return { status: 200 };
    };
    await queue.resume();
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 3);
    expect(h.endpoint.requests.map((r) => r.body)).toEqual(["1", "2", "3"]);
    expect(maxInFlight).toBe(1);
    expect((await h.client.queue().list()).map((q) => q.name)).toContain("q-one");
    await queue.delete();
    expect((await api(h, "GET", "/v2/queues/q-one")).status).toBe(404);
  });
});

describe("queue ordering across retries", () => {
  it("holds the next message until the current one is delivered after its retries", async () => {
    const queue = h.client.queue({ queueName: "q-retry" });
    await queue.upsert({ parallelism: 1 });
    let firstAttempts = 0;
    h.endpoint.responder = (req) => {
      if (req.body === "first" && ++firstAttempts === 1) return { status: 500 };
      return { status: 200 };
    };
    await queue.enqueue({ url: `${h.endpoint.url}/ordered`, body: "first", retries: 2, retryDelay: "60000" });
    await queue.enqueue({ url: `${h.endpoint.url}/ordered`, body: "second" });
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 1);
    await settle();
    expect(h.endpoint.requests.map((r) => r.body)).toEqual(["first"]);
    const pending = await h.pending();
    expect(pending.blocked).toBe(1);
    await h.advance(61_000);
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 3);
    expect(h.endpoint.requests.map((r) => r.body)).toEqual(["first", "first", "second"]);
    await queue.delete();
  });
});

describe("queue ordering and callbacks", () => {
  it("lets the next queue message wait for the current one's callback", async () => {
    const queue = h.client.queue({ queueName: "q-callback" });
    await queue.upsert({ parallelism: 1 });
    h.endpoint.responder = (req) => (req.path === "/q-cb" ? { status: 200, delayMs: 150 } : { status: 200 });
    await queue.enqueue({ url: `${h.endpoint.url}/q-first`, body: "1", callback: `${h.endpoint.url}/q-cb` });
    await queue.enqueue({ url: `${h.endpoint.url}/q-second`, body: "2" });
    await h.endpoint.waitFor(() => h.endpoint.on("/q-second").length === 1);
    const callbackAt = h.endpoint.on("/q-cb")[0]?.at ?? Number.POSITIVE_INFINITY;
    const secondAt = h.endpoint.on("/q-second")[0]?.at ?? 0;
    expect(secondAt - callbackAt).toBeGreaterThanOrEqual(140);
    await queue.delete();
  });
});

describe("flow control", () => {
  it("limits parallelism per key (and only per key)", async () => {
    h.endpoint.maxActive = 0;
    h.endpoint.responder = () => ({ status: 200, delayMs: 60 });
    const publish = (n: number, key: string, parallelism: number) =>
      h.client.publish({ url: `${h.endpoint.url}/fc?n=${n}`, body: "x", flowControl: { key, parallelism } });
    await Promise.all([1, 2, 3, 4].map((n) => publish(n, "fc-1", 1)));
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 4);
    await settle();
    expect(h.endpoint.maxActive).toBe(1);
    const info = await h.client.flowControl.get("fc-1");
    expect(info).toMatchObject({ flowControlKey: "fc-1", parallelismMax: 1, parallelismCount: 0 });

    h.endpoint.maxActive = 0;
    await Promise.all([5, 6, 7, 8].map((n) => publish(n, "fc-2", 2)));
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 8);
    await settle();
    expect(h.endpoint.maxActive).toBe(2);
  });

  it("limits the rate per period on the virtual clock", async () => {
    for (const n of [1, 2, 3]) {
      await h.client.publish({
        url: `${h.endpoint.url}/rate?n=${n}`,
        body: "x",
        flowControl: { key: "fc-rate", rate: 1, period: 60 },
      });
    }
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 1);
    await settle();
    expect(h.endpoint.requests).toHaveLength(1);
    await h.advance(61_000);
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 2);
    await h.advance(61_000);
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 3);
  });
});

describe("bad input", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["ftp://nope", {}, "invalid scheme"],
    ["URL/ok", { "Upstash-Delay": "soon" }, "Upstash-Delay"],
    ["URL/ok", { "Upstash-Retries": "many" }, "Upstash-Retries"],
    ["URL/ok", { "Upstash-Retry-Delay": "pow(2," }, "Upstash-Retry-Delay"],
    ["URL/ok", { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "speed=9" }, "flow control"],
    ["URL/ok", { "Upstash-Not-Before": "yesterday" }, "Upstash-Not-Before"],
    ["URL/ok", { "Upstash-Label": "bad label" }, "label"],
  ];
  for (const [destination, headers, needle] of cases) {
    it(`answers 4xx {error} for ${JSON.stringify(headers)} → ${destination}`, async () => {
      const target = destination.replace("URL", h.endpoint.url);
      const res = await api(h, "POST", `/v2/publish/${target}`, { headers, body: "x" });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(String(res.json.error)).toContain(needle);
    });
  }

  it("answers 413 for a body above maxMessageBytes and 400 for a malformed batch", async () => {
    const big = await api(h, "POST", `/v2/publish/${h.endpoint.url}/big`, { body: "x".repeat(10_001) });
    expect(big.status).toBe(413);
    expect(String(big.json.error)).toContain("max message size");
    const batch = await api(h, "POST", "/v2/batch", { body: "{not json" });
    expect(batch.status).toBe(400);
    const notArray = await api(h, "POST", "/v2/batch", { body: '{"destination":"x"}' });
    expect(notArray.status).toBe(400);
    const unknown = await api(h, "GET", "/v2/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBeTruthy();
    await settle();
    expect(h.endpoint.requests).toHaveLength(0);
  });

  it("answers 4xx (never 5xx) to malformed requests", async () => {
    const json = { "Content-Type": "application/json" };
    const cases: [string, string, string | undefined][] = [
      ["POST", "/v2/publish/http://", "x"],
      ["POST", "/v2/publish/not-a-url-or-group", "x"],
      ["POST", "/v2/batch", "[null]"],
      ["POST", "/v2/batch", '[{"destination":5}]'],
      ["POST", "/v2/batch", `[{"destination":"${h.endpoint.url}","headers":{"x":1}}]`],
      ["POST", "/v2/batch", `[{"destination":"${h.endpoint.url}","body":{}}]`],
      ["POST", "/v2/queues", "null"],
      ["POST", "/v2/queues", '{"queueName":"bad name"}'],
      ["POST", "/v2/queues", '{"queueName":"q","paused":"yes"}'],
      ["POST", "/v2/topics/t/endpoints", '{"endpoints":[null]}'],
      ["POST", "/v2/topics/t/endpoints", '{"endpoints":[{"url":"ftp://x"}]}'],
      ["POST", "/v2/wait/evt", "null"],
      ["POST", "/v2/notify/%E0%A4%A", "x"],
      ["POST", "/__dev/clock/advance", "null"],
      ["POST", "/__dev/clock/advance", '{"ms":-5}'],
      ["POST", "/v2/batch/trigger", '[{"destination":"x"}]'],
      ["DELETE", "/v2/dlq/nope", undefined],
      ["GET", "/v2/schedules/nope", undefined],
      ["PATCH", "/v2/schedules/nope/pause", undefined],
      ["POST", "/v2/workflows/dlq/resume/nope", undefined],
      ["GET", "/v2/workflows/runs/nope", undefined],
      ["PUT", "/v2/batch", "[]"],
    ];
    for (const [method, path, body] of cases) {
      const res = await api(h, method, path, { body, headers: json });
      expect(res.status, `${method} ${path} ${body}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path} ${body}`).toBeLessThan(500);
      expect(res.json?.error, `${method} ${path}`).toBeTruthy();
    }
  });

  it("keeps serving after bad input", async () => {
    const res = await fetch(`${h.qstash.url}/__dev/health`);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe("restart durability", () => {
  it("delivers messages accepted before a restart, and keeps the clock offset", async () => {
    await h.client.publish({ url: `${h.endpoint.url}/durable`, body: "1", delay: 3600 });
    const before = (await (await fetch(`${h.qstash.url}/__dev/clock`)).json()) as { offsetMs: number };
    await h.restart();
    const after = (await (await fetch(`${h.qstash.url}/__dev/clock`)).json()) as { offsetMs: number };
    expect(after.offsetMs).toBe(before.offsetMs);
    await h.advance(3_600_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/durable").length === 1);
  });

  it("redelivers a delivery cut short by a restart", async () => {
    let first = true;
    h.endpoint.responder = () => {
      if (first) {
        first = false;
        // Answer only after the stand-in restarted (the request is aborted by close()).
        return { status: 200 };
      }
      return { status: 200 };
    };
    await h.client.publish({ url: `${h.endpoint.url}/cut`, body: "1" });
    await h.restart();
    await h.endpoint.waitFor(() => h.endpoint.on("/cut").length >= 1);
  });
});

describe("QSTASH_DEV mode", () => {
  it("is picked up by the SDK's dev mode (keys check on /v2/keys, dev token)", async () => {
    process.env.QSTASH_DEV_PORT = String(h.qstash.port);
    try {
      const dev = new Client({ devMode: true, retry: false });
      const res = await dev.publish({ url: `${h.endpoint.url}/dev-mode`, body: "d" });
      expect(res.messageId).toMatch(/^msg_/);
      await h.endpoint.waitFor(() => h.endpoint.on("/dev-mode").length === 1);
    } finally {
      delete process.env.QSTASH_DEV_PORT;
    }
  });
});
