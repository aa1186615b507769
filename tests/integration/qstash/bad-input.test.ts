import { Client as WorkflowClient } from "@upstash/workflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAllVerified, startStack, type TestStack } from "./support/stack";

// Requests hosted QStash refuses: each answer is a 4xx with a JSON {error} body, and nothing is delivered.

let stack: TestStack;
let target = "";

beforeAll(async () => {
  stack = await startStack();
  target = stack.app.route("/target", () => new Response("ok"));
});

afterAll(async () => {
  await stack?.close();
});

afterEach(async () => {
  await stack.waitForIdle();
  expect(stack.app.received("/target")).toHaveLength(0);
  expectAllVerified(stack.app);
});

async function call(
  path: string,
  init: { method?: string; token?: string | null; headers?: Record<string, string> },
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? stack.qstash.token}`;
  const response = await fetch(`${stack.qstash.url}${path}`, {
    method: init.method ?? "POST",
    headers,
    body: "{}",
  });
  const text = await response.text();
  let error: unknown;
  try {
    error = (JSON.parse(text) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  return { status: response.status, error, text };
}

describe("bad input", () => {
  it("answers 401 {error} to a wrong or missing token", async () => {
    for (const token of ["not-the-token", null]) {
      const { status, error } = await call(`/v2/publish/${target}`, { token });
      expect(status).toBe(401);
      expect(typeof error).toBe("string");
    }
    const intruder = new WorkflowClient({ baseUrl: stack.qstash.url, token: "bm9wZQ==" });
    await expect(intruder.trigger({ url: target })).rejects.toMatchObject({ status: 401 });
    await expect(intruder.logs()).rejects.toMatchObject({ status: 401 });
  });

  it("answers 400 {error} naming the cron for a malformed cron", async () => {
    const { status, error } = await call(`/v2/schedules/${target}`, {
      headers: { "upstash-cron": "61 * * * *" },
    });
    expect(status).toBe(400);
    expect(String(error)).toMatch(/cron/i);
  });

  it("answers 400 {error} for a destination that is not http(s)", async () => {
    for (const destination of ["ftp://example.com/file", "file:///etc/passwd"]) {
      const { status, error } = await call(`/v2/publish/${destination}`, {});
      expect(status).toBe(400);
      expect(typeof error).toBe("string");
    }
    await expect(
      stack.qstashClient.batch([{ url: "ftp://example.com/file", body: "{}" }]),
    ).rejects.toMatchObject({ status: 400 });
  });
});
