import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, type Harness, startHarness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => {
  h.endpoint.requests.length = 0;
  h.endpoint.responder = () => ({ status: 200, body: "ok" });
});

const settle = () => h.settle();

describe("publish and delivery", () => {
  it("delivers the raw body, method, forwarded headers and QStash headers; keeps // in the destination", async () => {
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}//double/path?q=1&r=2`,
      body: "raw-body",
      method: "PUT",
      headers: { "Content-Type": "text/plain", "X-Custom": "v" },
    });
    await h.endpoint.waitFor(() => h.endpoint.requests.length === 1);
    const req = h.endpoint.requests[0];
    expect(req?.path).toBe("//double/path?q=1&r=2");
    expect(req?.method).toBe("PUT");
    expect(req?.body).toBe("raw-body");
    expect(req?.headers["content-type"]).toBe("text/plain");
    expect(req?.headers["x-custom"]).toBe("v");
    expect(req?.headers["upstash-message-id"]).toBe(messageId);
    expect(req?.headers["upstash-retried"]).toBe("0");
    expect(req?.headers["user-agent"]).toBe("Upstash-QStash");
    expect(req?.headers["upstash-caller-ip"]).toBeDefined();
    await expect(
      h.receiver.verify({ signature: String(req?.headers["upstash-signature"]), body: "raw-body" }),
    ).resolves.toBe(true);
  });

  it("accepts the token as ?qstash_token= and rejects unknown tokens with 401 {error}", async () => {
    const ok = await fetch(`${h.qstash.url}/v2/keys?qstash_token=${encodeURIComponent(h.qstash.token)}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ current: h.qstash.currentSigningKey, next: h.qstash.nextSigningKey });
    const bad = await fetch(`${h.qstash.url}/v2/keys`, { headers: { Authorization: "Bearer nope" } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toHaveProperty("error");
    const none = await fetch(`${h.qstash.url}/v2/publish/${h.endpoint.url}`, { method: "POST" });
    expect(none.status).toBe(401);
  });

  it("holds a delayed message until the virtual clock reaches it; not-before too", async () => {
    await h.client.publish({ url: `${h.endpoint.url}/delayed`, body: "d", delay: 3600 });
    const notBefore =
      Math.floor((await (await fetch(`${h.qstash.url}/__dev/clock`)).json()).now / 1000) + 7200;
    await h.client.publish({ url: `${h.endpoint.url}/not-before`, body: "n", notBefore });
    await settle();
    expect(h.endpoint.requests).toHaveLength(0);
    expect((await h.pending()).scheduled).toBeGreaterThanOrEqual(2);
    await h.advance(3_600_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/delayed").length === 1);
    expect(h.endpoint.on("/not-before")).toHaveLength(0);
    await h.advance(3_600_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/not-before").length === 1);
  });

  it("retries with the retry delay expression, then succeeds", async () => {
    let calls = 0;
    h.endpoint.responder = () => (++calls < 3 ? { status: 500, body: "boom" } : { status: 200 });
    await h.client.publish({
      url: `${h.endpoint.url}/flaky`,
      body: "x",
      retries: 3,
      retryDelay: "pow(2, retried) * 60000",
    });
    await h.endpoint.waitFor(() => calls === 1);
    await settle();
    await h.advance(59_000);
    await settle();
    expect(calls).toBe(1);
    await h.advance(2_000); // first retry after 60 s
    await h.endpoint.waitFor(() => calls === 2);
    await h.advance(121_000); // second retry after 120 s
    await h.endpoint.waitFor(() => calls === 3);
    expect(h.endpoint.requests.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
  });

  it("uses the default backoff (≈12 s) for the first retry and honours Retry-After", async () => {
    let calls = 0;
    h.endpoint.responder = () => {
      calls++;
      if (calls === 1) return { status: 500 };
      if (calls === 2) return { status: 429, headers: { "Retry-After": "300" } };
      return { status: 200 };
    };
    await h.client.publish({ url: `${h.endpoint.url}/backoff`, body: "x" });
    await h.endpoint.waitFor(() => calls === 1);
    await settle();
    await h.advance(10_000);
    await settle();
    expect(calls).toBe(1);
    await h.advance(3_000);
    await h.endpoint.waitFor(() => calls === 2);
    await settle();
    await h.advance(290_000);
    await settle();
    expect(calls).toBe(2);
    await h.advance(11_000);
    await h.endpoint.waitFor(() => calls === 3);
  });

  it("fails at once on 489 + Upstash-NonRetryable-Error, lands in the DLQ and calls the failure callback", async () => {
    h.endpoint.responder = (req) =>
      req.path === "/nonretry"
        ? { status: 489, headers: { "Upstash-NonRetryable-Error": "true", "X-Why": "no" }, body: "stop" }
        : { status: 200 };
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}/nonretry`,
      body: "payload",
      retries: 5,
      failureCallback: `${h.endpoint.url}/failure`,
    });
    await h.endpoint.waitFor(() => h.endpoint.on("/failure").length === 1);
    expect(h.endpoint.on("/nonretry")).toHaveLength(1);
    const failure = JSON.parse(h.endpoint.on("/failure")[0]?.body ?? "{}");
    expect(failure).toMatchObject({
      status: 489,
      body: Buffer.from("stop").toString("base64"),
      sourceMessageId: messageId,
      sourceBody: Buffer.from("payload").toString("base64"),
      url: `${h.endpoint.url}/nonretry`,
      method: "POST",
      maxRetries: 5,
    });
    expect(failure.header["X-Why"]).toEqual(["no"]);
    expect(failure.dlqId).toBeTruthy();

    const dlq = await h.client.dlq.listMessages();
    const entry = dlq.messages.find((m) => m.messageId === messageId);
    expect(entry).toMatchObject({ responseStatus: 489, responseBody: "stop", dlqId: failure.dlqId });

    // Retry it from the DLQ: it is delivered again (and fails again into a new DLQ entry).
    const retried = await h.client.dlq.retry(failure.dlqId);
    expect(retried.responses[0]?.messageId).toMatch(/^msg_/);
    await h.endpoint.waitFor(() => h.endpoint.on("/failure").length === 2);
    const afterRetry = await h.client.dlq.listMessages();
    expect(afterRetry.messages.some((m) => m.dlqId === failure.dlqId)).toBe(false);
    for (const m of afterRetry.messages) await h.client.dlq.delete(m.dlqId);
    expect((await h.client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("calls the callback with the response (canonical headers, base64 body)", async () => {
    h.endpoint.responder = (req) =>
      req.path === "/with-callback"
        ? { status: 201, headers: { "get-header": "x" }, body: "created" }
        : { status: 200 };
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}/with-callback`,
      body: "b",
      callback: `${h.endpoint.url}/callback`,
      headers: { "Upstash-Callback-Forward-X-Cb": "yes" },
    });
    await h.endpoint.waitFor(() => h.endpoint.on("/callback").length === 1);
    const cb = h.endpoint.on("/callback")[0];
    expect(cb?.headers["x-cb"]).toBe("yes");
    const body = JSON.parse(cb?.body ?? "{}");
    expect(body).toMatchObject({
      status: 201,
      body: Buffer.from("created").toString("base64"),
      retried: 0,
      maxRetries: 3,
      sourceMessageId: messageId,
      sourceBody: Buffer.from("b").toString("base64"),
    });
    expect(body.header["Get-Header"]).toEqual(["x"]);
    await expect(
      h.receiver.verify({ signature: String(cb?.headers["upstash-signature"]), body: cb?.body ?? "" }),
    ).resolves.toBe(true);
  });

  it("calls a plain message's callback after every attempt (retried counts up)", async () => {
    let calls = 0;
    h.endpoint.responder = (req) =>
      req.path === "/every" ? (++calls < 2 ? { status: 503 } : { status: 200 }) : { status: 200 };
    await h.client.publish({
      url: `${h.endpoint.url}/every`,
      body: "b",
      retries: 2,
      retryDelay: "1000",
      callback: `${h.endpoint.url}/every-cb`,
    });
    await h.endpoint.waitFor(() => h.endpoint.on("/every-cb").length === 1);
    await h.advance(1_500);
    await h.endpoint.waitFor(() => h.endpoint.on("/every-cb").length === 2);
    const bodies = h.endpoint
      .on("/every-cb")
      .map((r) => JSON.parse(r.body) as { status: number; retried: number });
    expect(bodies.map((b) => [b.status, b.retried])).toEqual([
      [503, 0],
      [200, 1],
    ]);
  });

  it("treats an unreachable destination as a failure: retries, DLQ (status 0), failure callback", async () => {
    const { freePort } = await import("../../../dev/support/ports");
    const dead = `http://127.0.0.1:${await freePort()}/nobody`;
    const { messageId } = await h.client.publish({
      url: dead,
      body: "x",
      retries: 1,
      retryDelay: "1000",
      failureCallback: `${h.endpoint.url}/dead-failure`,
    });
    await settle();
    await h.advance(1_500);
    await h.endpoint.waitFor(() => h.endpoint.on("/dead-failure").length === 1);
    const failure = JSON.parse(h.endpoint.on("/dead-failure")[0]?.body ?? "{}");
    expect(failure).toMatchObject({ status: 0, sourceMessageId: messageId, retried: 1, maxRetries: 1 });
    const entry = (await h.client.dlq.listMessages()).messages.find((m) => m.messageId === messageId);
    expect(entry?.responseStatus).toBe(0);
    if (entry) await h.client.dlq.delete(entry.dlqId);
  });

  it("signs GET deliveries over the empty body they carry", async () => {
    await h.client.publish({ url: `${h.endpoint.url}/get-me`, method: "GET", body: "ignored" });
    await h.endpoint.waitFor(() => h.endpoint.on("/get-me").length === 1);
    const req = h.endpoint.on("/get-me")[0];
    expect(req?.method).toBe("GET");
    await expect(
      h.receiver.verify({ signature: String(req?.headers["upstash-signature"]), body: "" }),
    ).resolves.toBe(true);
  });

  it("deduplicates by id and by content", async () => {
    const first = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "1",
      deduplicationId: "same",
      delay: 60,
    });
    const second = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "2",
      deduplicationId: "same",
      delay: 60,
    });
    expect(second).toEqual({ messageId: first.messageId, deduplicated: true });
    const a = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "c",
      contentBasedDeduplication: true,
      delay: 60,
    });
    const b = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "c",
      contentBasedDeduplication: true,
      delay: 60,
    });
    const c = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "d",
      contentBasedDeduplication: true,
      delay: 60,
    });
    expect(b.deduplicated).toBe(true);
    expect(b.messageId).toBe(a.messageId);
    expect(c.deduplicated).toBeUndefined();
    await h.advance(61_000);
    await h.endpoint.waitFor(() => h.endpoint.on("/dedup").length === 3);
    // The window is 10 minutes of virtual time.
    await h.advance(10 * 60_000);
    const later = await h.client.publish({
      url: `${h.endpoint.url}/dedup`,
      body: "3",
      deduplicationId: "same",
    });
    expect(later.deduplicated).toBeUndefined();
    expect(later.messageId).not.toBe(first.messageId);
  });

  it("gets and cancels pending messages", async () => {
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}/cancel-me`,
      body: "b",
      delay: 600,
      headers: { "X-A": "1" },
      label: "l1",
    });
    const message = await h.client.messages.get(messageId);
    expect(message).toMatchObject({
      messageId,
      url: `${h.endpoint.url}/cancel-me`,
      body: "b",
      method: "POST",
      maxRetries: 3,
    });
    expect(message.header?.["X-A"]).toEqual(["1"]);
    await h.client.messages.cancel(messageId);
    expect((await api(h, "GET", `/v2/messages/${messageId}`)).status).toBe(404);
    const ids = await Promise.all(
      [1, 2].map(
        async () =>
          (
            await h.client.publish({
              url: `${h.endpoint.url}/cancel-me`,
              body: "x",
              delay: 600,
              label: "bulk",
            })
          ).messageId,
      ),
    );
    expect(ids).toHaveLength(2);
    expect(await h.client.messages.cancel({ filter: { label: "bulk" } })).toEqual({ cancelled: 2 });
    await h.advance(601_000);
    await settle();
    expect(h.endpoint.on("/cancel-me")).toHaveLength(0);
  });

  it("publishes a batch and fans out to URL groups", async () => {
    const batch = await h.client.batchJSON([
      { url: `${h.endpoint.url}/batch-1`, body: { n: 1 } },
      { url: `${h.endpoint.url}/batch-2`, body: { n: 2 } },
    ]);
    expect(batch).toHaveLength(2);
    await h.client.urlGroups.addEndpoints({
      name: "group-a",
      endpoints: [{ url: `${h.endpoint.url}/g1` }, { url: `${h.endpoint.url}/g2`, name: "second" }],
    });
    const group = await h.client.urlGroups.get("group-a");
    expect(group.endpoints).toHaveLength(2);
    const published = (await h.client.publish({ urlGroup: "group-a", body: "fan" })) as unknown as {
      messageId: string;
      url: string;
    }[];
    expect(published).toHaveLength(2);
    await h.endpoint.waitFor(() => h.endpoint.on("/g1").length === 1 && h.endpoint.on("/g2").length === 1);
    expect(h.endpoint.on("/g1")[0]?.headers["upstash-topic-name"]).toBe("group-a");
    await h.endpoint.waitFor(() => h.endpoint.on("/batch-2").length === 1);
    expect(h.endpoint.on("/batch-1")[0]?.body).toBe('{"n":1}');
    await h.client.urlGroups.delete("group-a");
    expect((await h.client.urlGroups.list()).map((g) => g.name)).not.toContain("group-a");
  });

  it("accepts a batch item with an absolute Not-Before (what context.sleepUntil publishes)", async () => {
    const inAMinute = Math.ceil(Date.now() / 1000) + 60;
    const [queued] = await h.client.batchJSON([
      { url: `${h.endpoint.url}/not-before`, body: { n: 1 }, notBefore: inAMinute },
    ]);
    expect(queued?.messageId).toBeDefined();
    const message = await h.client.messages.get(queued?.messageId as string);
    expect(message.notBefore).toBe(inAMinute * 1000);
    await h.client.messages.delete(queued?.messageId as string);
  });

  it("lists message events newest first through client.logs (GET /v2/events)", async () => {
    const { messageId } = await h.client.publish({ url: `${h.endpoint.url}/logged`, body: "l" });
    await h.endpoint.waitFor(() => h.endpoint.on("/logged").length === 1);
    await settle();
    const { logs } = await h.client.logs({ filter: { messageId } });
    expect(logs.map((l) => l.state)).toEqual(["DELIVERED", "ACTIVE", "CREATED"]);
    expect(logs[0]).toMatchObject({ messageId, url: `${h.endpoint.url}/logged`, responseStatus: 200 });
    const page = await h.client.logs({ count: 1 });
    expect(page.logs).toHaveLength(1);
    expect(page.cursor).toBeTruthy();
  });

  it("counts messages per kind in /__dev/stats", async () => {
    const stats = (await (await fetch(`${h.qstash.url}/__dev/stats`)).json()) as Record<string, unknown>;
    expect(stats.published).toBeGreaterThan(0);
    expect(stats.delivered).toBeGreaterThan(0);
    expect(stats).toHaveProperty("byKind.callback");
    expect(stats).toHaveProperty("byKind.failure");
  });
});
