import { describe, expect, it } from "vitest";
import { buildMessage } from "../../../dev/qstash/message";
import { buildDlqEntry, buildEvent, callbackBody } from "../../../dev/qstash/records";

const message = buildMessage({
  destination: "https://example.com/x",
  headers: { "Content-Type": "text/plain", "Upstash-Forward-X-A": "1", "Upstash-Retries": "2" },
  body: Buffer.from("payload"),
  callerIp: "10.0.0.1",
  nowMs: 1000,
});
const outcome = {
  response: { status: 500, headers: new Headers({ "get-header": "v" }), body: Buffer.from("boom") },
  durationMs: 5,
};

describe("callback body", () => {
  it("has QStash's fields, canonical header arrays and base64 bodies, as compact JSON", () => {
    const text = callbackBody(message, outcome, { dlqId: "1-1" });
    expect(text).not.toContain(" ");
    expect(JSON.parse(text)).toEqual({
      status: 500,
      header: { "Get-Header": ["v"] },
      body: Buffer.from("boom").toString("base64"),
      retried: 0,
      maxRetries: 2,
      dlqId: "1-1",
      sourceMessageId: message.messageId,
      url: "https://example.com/x",
      method: "POST",
      sourceHeader: { "X-A": ["1"], "Content-Type": ["text/plain"] },
      sourceBody: Buffer.from("payload").toString("base64"),
      notBefore: 1000,
      createdAt: 1000,
      callerIP: "10.0.0.1",
    });
  });

  it("reports status 0 and an empty body when no response arrived", () => {
    const body = JSON.parse(callbackBody(message, { error: "ECONNREFUSED", durationMs: 1 }));
    expect(body).toMatchObject({ status: 0, body: "", header: {} });
  });
});

describe("DLQ entries and events", () => {
  it("record the last response", () => {
    const entry = buildDlqEntry(message, outcome, "status 500", "message", 5000);
    expect(entry).toMatchObject({
      source: "message",
      responseStatus: 500,
      failedAt: 5000,
      error: "status 500",
    });
    expect(entry.dlqId).toMatch(/^5000-\d+$/);
    const event = buildEvent(message, "ERROR", 6000, outcome, { error: "status 500" });
    expect(event).toMatchObject({ state: "ERROR", time: 6000, responseStatus: 500, responseBody: "boom" });
  });
});
