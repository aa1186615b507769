import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { qstashRejection } from "@/tests/support/qstash-errors";
import { api, type Harness, startHarness } from "./harness";

// Filters, labels and paging of the DLQ and log APIs, through the real @upstash/qstash Client
// (regressions found by running upstash/qstash-js's own client tests against the stand-in).

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  await h.client.dlq.delete({ all: true, count: 1000 });
  h.endpoint.requests.length = 0;
  h.endpoint.responder = (r) => ({ status: r.path.startsWith("/fail") ? 500 : 200, body: "x" });
});

/** Publishes `n` messages that fail once (no retries) and waits until they are all in the DLQ. */
async function intoDlq(n: number, tag: string, label?: string | string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}/fail/${tag}/${i}`,
      body: `${tag}-${i}`,
      retries: 0,
      ...(label && { label }),
    });
    ids.push(messageId);
  }
  await h.settle();
  return ids;
}

const dlqSize = async () => (await h.client.dlq.listMessages({ count: 1000 })).messages.length;

describe("DLQ filters", () => {
  it("lists and deletes by one messageId, touching nothing else", async () => {
    const ids = await intoDlq(5, "by-id");
    expect(await dlqSize()).toBe(5);
    const target = ids[2] as string;

    const listed = await h.client.dlq.listMessages({ filter: { messageId: target } });
    expect(listed.messages.map((m) => m.messageId)).toEqual([target]);

    expect(await h.client.dlq.delete({ filter: { messageId: target } })).toMatchObject({ deleted: 1 });
    expect(await dlqSize()).toBe(4);
    expect(await h.client.dlq.delete({ filter: { messageId: "msg_unknown" } })).toMatchObject({ deleted: 0 });
    expect(await dlqSize()).toBe(4);
  });

  it("rejects unknown or misspelled filter fields with a 400 naming the field, and deletes nothing", async () => {
    await intoDlq(2, "typo");
    /** A filter the SDK's types would refuse: what a JavaScript caller's typo sends. */
    const misspelled = <T>(fields: Record<string, string>) => fields as unknown as T;
    const typo = misspelled<{ url: string }>({ urlgroup: "x" });
    const error = await qstashRejection(h.client.dlq.delete({ filter: typo }));
    expect(error.status).toBe(400);
    expect(error.message).toContain("urlgroup");
    // The SDK documents host/path as rejected by the DLQ.
    const host = await qstashRejection(
      h.client.dlq.listMessages({ filter: misspelled<{ url: string }>({ host: "x" }) }),
    );
    expect(host.status).toBe(400);
    expect(host.message).toContain("host");
    expect(await dlqSize()).toBe(2);

    const logs = await qstashRejection(
      h.client.logs({ filter: misspelled<{ label: string }>({ lable: "x" }) }),
    );
    expect(logs.status).toBe(400);
    expect(logs.message).toContain("lable");
    const cancel = await qstashRejection(
      h.client.messages.cancel({ filter: misspelled<{ queueName: string }>({ queue: "q" }) }),
    );
    expect(cancel.status).toBe(400);
    expect(cancel.message).toContain("queue");
  });

  it("pages a bulk retry by count with a cursor until none is left", async () => {
    const ids = await intoDlq(5, "retry-page");
    h.endpoint.responder = () => ({ status: 200, body: "ok now" });
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const result = await h.client.dlq.retry({ all: true, count: 2, ...(cursor && { cursor }) });
      pages.push(result.responses.length);
      cursor = result.cursor;
    } while (cursor);
    expect(pages).toEqual([2, 2, 1]);
    await h.settle();
    expect(await dlqSize()).toBe(0);
    // Every message was retried once: the redeliveries carry the original bodies.
    const bodies = h.endpoint.requests.filter((r) => r.body.startsWith("retry-page")).map((r) => r.body);
    expect(new Set(bodies).size).toBe(ids.length);
  });

  it("pages a bulk delete and a listing the same way", async () => {
    await intoDlq(5, "delete-page");
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.client.dlq.listMessages({ count: 2, ...(cursor && { cursor }) });
      listed.push(...page.messages.map((m) => m.dlqId));
      cursor = page.cursor;
    } while (cursor);
    expect(new Set(listed).size).toBe(5);
    // REST docs: `order` is earliestFirst (the default) or latestFirst.
    const failedAt = (dlqId: string) => Number(dlqId.split("-")[0]);
    expect(listed.map(failedAt)).toEqual(listed.map(failedAt).sort((a, b) => a - b));
    const latest = await api(h, "GET", "/v2/dlq?order=latestFirst&count=1000");
    const latestIds = (latest.json as unknown as { messages: { dlqId: string }[] }).messages.map(
      (m) => m.dlqId,
    );
    expect(latestIds).toEqual([...listed].reverse());
    expect((await api(h, "GET", "/v2/dlq?order=newest")).status).toBe(400);

    const deleted: number[] = [];
    do {
      const result = await h.client.dlq.delete({ all: true, count: 2, ...(cursor && { cursor }) });
      deleted.push(result.deleted);
      cursor = result.cursor;
    } while (cursor);
    expect(deleted).toEqual([2, 2, 1]);
    expect(await dlqSize()).toBe(0);
  });
});

describe("labels", () => {
  it("reports the first label as the legacy `label` and matches a filter on any of them", async () => {
    const notBefore = Math.floor(Date.now() / 1000) + 3600;
    const { messageId } = await h.client.publish({
      url: `${h.endpoint.url}/later`,
      body: "l",
      label: ["la", "lb"],
      notBefore,
    });
    const message = await h.client.messages.get(messageId);
    expect(message).toMatchObject({ label: "la", labels: ["la", "lb"] });

    const [failed] = await intoDlq(1, "labelled", ["la", "lb"]);
    const { messages } = await h.client.dlq.listMessages({ filter: { label: "lb" } });
    expect(messages.map((m) => m.messageId)).toEqual([failed]);
    expect(messages[0]).toMatchObject({ label: "la", labels: ["la", "lb"] });

    const { logs } = await h.client.logs({ filter: { label: "lb" } });
    expect(new Set(logs.map((l) => l.messageId))).toEqual(new Set([messageId, failed]));
    expect(logs.every((l) => l.label === "la")).toBe(true);
    await h.client.messages.cancel(messageId);
  });
});

describe("log filters and paging", () => {
  it("filters logs by host and by path", async () => {
    const port = new URL(h.endpoint.url).port;
    const a = await h.client.publish({ url: `http://127.0.0.1:${port}/host-a/x`, body: "a" });
    const b = await h.client.publish({ url: `http://localhost:${port}/host-b/y`, body: "b" });
    await h.settle();
    const byHost = await h.client.logs({ filter: { host: `localhost:${port}`, count: 1000 } });
    expect(new Set(byHost.logs.map((l) => l.messageId))).toEqual(new Set([b.messageId]));
    const byPath = await h.client.logs({ filter: { path: "/host-a/x" } });
    expect(new Set(byPath.logs.map((l) => l.messageId))).toEqual(new Set([a.messageId]));
    const both = await h.client.logs({ filter: { path: ["/host-a/x", "/host-b/y"], state: "DELIVERED" } });
    expect(both.logs.map((l) => l.messageId).sort()).toEqual([a.messageId, b.messageId].sort());
    const active = await h.client.logs({ filter: { path: "/host-a/x", state: "IN_PROGRESS" } });
    expect(active.logs.map((l) => l.state)).toEqual(["ACTIVE"]);
  });

  it("omits the cursor on the last page, so `while (cursor !== undefined)` ends", async () => {
    await h.client.publish({ url: `${h.endpoint.url}/paged`, body: "p" });
    await h.settle();
    const last = await api(h, "GET", "/v2/events?count=1000");
    expect(last.status).toBe(200);
    expect(last.json).not.toHaveProperty("cursor");

    let cursor: string | undefined = "";
    let pages = 0;
    const seen = new Set<string>();
    while (cursor !== undefined && pages < 1000) {
      const page: Awaited<ReturnType<typeof h.client.logs>> = await h.client.logs({
        count: 7,
        ...(cursor && { cursor }),
      });
      for (const log of page.logs) seen.add(`${log.messageId}:${log.state}:${log.time}`);
      cursor = page.cursor;
      pages++;
    }
    expect(cursor).toBeUndefined();
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe((last.json as unknown as { events: unknown[] }).events.length);
  });
});

describe("found by the upstream client tests", () => {
  it("redacts logs as it redacts message views (Upstash-Redact-Fields)", async () => {
    const { messageId } = await h.client.publishJSON({
      url: `${h.endpoint.url}/redacted`,
      body: { password: "my-password-123" },
      headers: { Authorization: "Bearer token-to-redact", "X-Public": "visible" },
      redact: { body: true, header: ["Authorization"] },
    });
    await h.settle();
    const { logs } = await h.client.logs({ filter: { messageId } });
    expect(logs.length).toBeGreaterThan(0);
    for (const log of logs) {
      const body = Buffer.from(log.body ?? "", "base64").toString("utf8");
      expect(body).toMatch(/^REDACTED:[0-9a-f]{64}$/);
      const header = log.header as unknown as Record<string, string[]>;
      expect(header.Authorization?.[0]).toMatch(/^REDACTED:/);
      expect(header["X-Public"]).toEqual(["visible"]);
    }
    // Delivery itself is not redacted.
    expect(h.endpoint.on("/redacted")[0]?.headers.authorization).toBe("Bearer token-to-redact");
  });

  it("cancels at most `count` messages per bulk cancel", async () => {
    const notBefore = Math.floor(Date.now() / 1000) + 86_400;
    const label = "cancel-count";
    for (let i = 0; i < 3; i++)
      await h.client.publish({ url: `${h.endpoint.url}/later/${i}`, body: "c", notBefore, label });
    expect(await h.client.messages.cancel({ filter: { label }, count: 1 })).toEqual({ cancelled: 1 });
    expect(await h.client.messages.cancel({ filter: { label } })).toEqual({ cancelled: 2 });
  });
});
