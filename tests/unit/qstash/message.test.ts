import { Receiver } from "@upstash/qstash";
import { describe, expect, it } from "vitest";
import { deliveryHeaders } from "../../../dev/qstash/delivery";
import { buildMessage, derivedHeaders } from "../../../dev/qstash/message";
import { signDelivery } from "../../../dev/qstash/signing";

const now = Date.parse("2026-01-01T00:00:00Z");
const build = (headers: Record<string, string>, destination = "https://example.com/a//b?x=1") =>
  buildMessage({ destination, headers, body: Buffer.from("hello"), callerIp: "127.0.0.1", nowMs: now });

describe("publish headers → message", () => {
  it("separates forwarded headers from configuration and keeps the raw destination", () => {
    const message = build({
      "Content-Type": "text/plain",
      "Upstash-Forward-X-Tenant": "acme",
      "Upstash-Forward-Content-Type": "ignored/by-qstash",
      "Upstash-Method": "put",
      "Upstash-Retries": "5",
      "Upstash-Retry-Delay": "pow(2, retried) * 1000",
      "Upstash-Timeout": "30",
      "Upstash-Callback": "https://cb.example.com",
      "Upstash-Label": "a,b",
    });
    expect(message.url).toBe("https://example.com/a//b?x=1");
    expect(message.forward).toEqual({ "X-Tenant": "acme" });
    expect(message.contentType).toBe("text/plain");
    expect(message.method).toBe("PUT");
    expect(message.maxRetries).toBe(5);
    expect(message.timeoutMs).toBe(30_000);
    expect(message.labels).toEqual(["a", "b"]);
    expect(message.config["Upstash-Callback"]).toBe("https://cb.example.com");
  });

  it("applies delay, and not-before (seconds) wins over delay", () => {
    expect(build({ "Upstash-Delay": "10s" }).notBefore).toBe(now + 10_000);
    expect(build({ "Upstash-Delay": "10s", "Upstash-Not-Before": String(now / 1000 + 60) }).notBefore).toBe(
      now + 60_000,
    );
    expect(build({}).notBefore).toBe(0);
    expect(build({}).maxRetries).toBe(3);
  });

  it("derives content-based dedup ids from destination, body, content type and forwarded headers", () => {
    const a = build({ "Upstash-Content-Based-Deduplication": "true" });
    const b = build({ "Upstash-Content-Based-Deduplication": "true" });
    const c = build({ "Upstash-Content-Based-Deduplication": "true", "Upstash-Forward-X": "1" });
    expect(a.deduplicationId).toBe(b.deduplicationId);
    expect(a.deduplicationId).not.toBe(c.deduplicationId);
    expect(build({ "Upstash-Deduplication-Id": "abc" }).deduplicationId).toBe("id:abc");
  });

  it("rejects bad input with a status and a message naming the problem", () => {
    expect(() => build({}, "ftp://x")).toThrow(/invalid scheme/);
    expect(() => build({ "Upstash-Delay": "soon" })).toThrow(/Upstash-Delay/);
    expect(() => build({ "Upstash-Retries": "-1" })).toThrow(/Upstash-Retries/);
    expect(() => build({ "Upstash-Retries": "1000000" })).toThrow(expect.objectContaining({ status: 412 }));
    expect(() => build({ "Upstash-Retry-Delay": "pow(" })).toThrow(/Upstash-Retry-Delay/);
    expect(() => build({ "Upstash-Method": "FETCH" })).toThrow(/Upstash-Method/);
    expect(() => build({ "Upstash-Callback": "nope" })).toThrow(/callback/);
    expect(() => build({ "Upstash-Not-Before": "tomorrow" })).toThrow(/Upstash-Not-Before/);
  });

  it("reads workflow metadata", () => {
    const message = build({
      "Upstash-Workflow-Runid": "wfr_1",
      "Upstash-Workflow-Init": "true",
      "Upstash-Workflow-Url": "https://example.com/wf",
      "Upstash-Feature-Set": "LazyFetch",
    });
    expect(message.workflow).toMatchObject({
      runId: "wfr_1",
      init: true,
      callType: "step",
      featureSet: "LazyFetch",
    });
  });
});

describe("derived callback headers", () => {
  it("re-reads Upstash-Callback-<Rest> as Upstash-<Rest>", () => {
    const headers = derivedHeaders(
      {
        "Upstash-Callback": "https://cb",
        "Upstash-Callback-Retries": "2",
        "Upstash-Callback-Forward-Upstash-Workflow-Callback": "true",
        "Upstash-Callback-Workflow-Calltype": "fromCallback",
      },
      "Upstash-Callback-",
    );
    expect(headers).toEqual({
      "Upstash-Retries": "2",
      "Upstash-Forward-Upstash-Workflow-Callback": "true",
      "Upstash-Workflow-Calltype": "fromCallback",
      "Content-Type": "application/json",
    });
  });
});

describe("delivery headers", () => {
  it("never lets forwarded headers override server-owned ones and drops hop-by-hop names", () => {
    const message = build({
      "Upstash-Forward-Upstash-Message-Id": "fake",
      "Upstash-Forward-Host": "evil",
      "Upstash-Forward-X-Ok": "1",
    });
    const headers = deliveryHeaders(message, {});
    expect(headers["Upstash-Message-Id"]).toBe(message.messageId);
    expect(headers.Host).toBeUndefined();
    expect(headers["X-Ok"]).toBe("1");
    expect(headers["Upstash-Retried"]).toBe("0");
  });
});

describe("signature", () => {
  it("is verified by the real Receiver (body hash, subject) with the current or next key", async () => {
    const body = new TextEncoder().encode('{"a":1}');
    const signature = await signDelivery("sig_current", "https://example.com/x", body);
    const receiver = new Receiver({ currentSigningKey: "sig_current", nextSigningKey: "sig_next" });
    expect(await receiver.verify({ signature, body: '{"a":1}', url: "https://example.com/x" })).toBe(true);
    await expect(receiver.verify({ signature, body: '{"a":2}' })).rejects.toThrow(/body hash/);
    const rotated = new Receiver({ currentSigningKey: "sig_other", nextSigningKey: "sig_current" });
    expect(await rotated.verify({ signature, body: '{"a":1}' })).toBe(true);
  });
});

describe("redaction (Upstash-Redact-Fields)", () => {
  it("hides the body and chosen headers in API views only", async () => {
    const { messageView } = await import("../../../dev/qstash/message");
    const message = build({
      "Upstash-Redact-Fields": "body,header[X-Secret]",
      "Upstash-Forward-X-Secret": "s3cret",
      "Upstash-Forward-X-Public": "p",
    });
    const view = messageView(message);
    expect(String(view.body)).toMatch(/^REDACTED:[0-9a-f]{64}$/);
    const header = view.header as Record<string, string[]>;
    expect(header["X-Secret"]?.[0]).toMatch(/^REDACTED:/);
    expect(header["X-Public"]).toEqual(["p"]);
    expect(message.forward["X-Secret"]).toBe("s3cret");
  });
});
