import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { signBody } from "@/lib/trigger/auth";
import { defineWorkflow } from "@/lib/workflow/define";

const SECRET = "edges-secret-0123456789";
const json = { "content-type": "application/json" };
const bearer = { authorization: `Bearer ${SECRET}`, ...json };

const echo = defineWorkflow({
  name: "echo",
  input: z.object({ n: z.number() }),
  async handler({ context, input }) {
    return context.run("echo", () => input.n);
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await createTestStack({
    workflows: [echo],
    triggerSecrets: { acme: SECRET },
    rateLimit: { requests: 10_000, window: "60 s" },
  });
});
afterAll(async () => {
  await t?.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = bearer) =>
  fetch(`${t.url}${path}`, { method: "POST", headers, body });

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string; runId?: string } }).error;
}

describe("signed triggers", () => {
  it("refuses a replay of the same signed request within the tolerance window", async () => {
    const body = JSON.stringify({ n: 1 });
    const now = Math.floor(Date.now() / 1000);
    const headers = {
      ...json,
      "x-overtime-timestamp": String(now),
      "x-overtime-signature": signBody(SECRET, now, body),
    };
    expect((await post("/api/trigger/echo", body, headers)).status).toBe(202);
    for (let replay = 0; replay < 4; replay++) {
      const again = await post("/api/trigger/echo", body, headers);
      expect(again.status).toBe(401);
      expect((await errorOf(again)).message).toContain("replay");
    }
  });

  it("accepts only decimal unix seconds as the timestamp", async () => {
    const body = JSON.stringify({ n: 2 });
    const now = Math.floor(Date.now() / 1000);
    for (const stamp of [`${now}.0`, `0x${now.toString(16)}`, `${now}e0`, `+${now}`, `-${now}`]) {
      const headers = {
        ...json,
        "x-overtime-timestamp": stamp,
        "x-overtime-signature": signBody(SECRET, now, body),
      };
      expect((await post("/api/trigger/echo", body, headers)).status, stamp).toBe(401);
    }
  });
});

describe("request bodies", () => {
  it("requires JSON content (415), a bounded size (413) and sane nesting (400)", async () => {
    const form = await post("/api/trigger/echo", "n=1", {
      authorization: `Bearer ${SECRET}`,
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    const none = await post("/api/trigger/echo", '{"n":1}', { authorization: `Bearer ${SECRET}` });
    expect(none.status).toBe(415);
    const huge = await post("/api/trigger/echo", JSON.stringify({ n: 1, pad: "x".repeat(10 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).code).toBe("payload_too_large");
    const deep = await post("/api/events/deep", `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(deep.status).toBe(400);
    const bigEvent = await post("/api/events/big", JSON.stringify({ pad: "x".repeat(1_100_000) }));
    expect(bigEvent.status).toBe(413);
  });
});

describe("idempotency keys", () => {
  it("answers 422 with the first run's id when the same key comes with another input", async () => {
    const first = await post("/api/trigger/echo", JSON.stringify({ n: 10 }), {
      ...bearer,
      "idempotency-key": "k-1",
    });
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    const same = await post("/api/trigger/echo", JSON.stringify({ n: 10 }), {
      ...bearer,
      "idempotency-key": "k-1",
    });
    expect(await same.json()).toMatchObject({ runId, deduplicated: true });
    const reordered = await post("/api/trigger/echo", '{ "n" : 10 }', {
      ...bearer,
      "idempotency-key": "k-1",
    });
    expect(reordered.status).toBe(202);
    const other = await post("/api/trigger/echo", JSON.stringify({ n: 11 }), {
      ...bearer,
      "idempotency-key": "k-1",
    });
    expect(other.status).toBe(422);
    expect(await errorOf(other)).toMatchObject({ code: "idempotency_conflict", runId });
    expect((await t.waitForRun(runId)).status).toBe("succeeded");
  });
});

describe("workflow deliveries", () => {
  const endpoint = () => `${t.url}/api/workflows/echo`;
  const deliver = (body: string, signature?: string) =>
    fetch(endpoint(), {
      method: "POST",
      headers: { ...json, ...(signature && { "upstash-signature": signature }) },
      body,
    });
  const jwt = async (options: {
    key?: string;
    sub?: string;
    body?: string;
    issuer?: string;
    expiresIn?: number;
    notBefore?: number;
  }) => {
    const now = Math.floor(Date.now() / 1000);
    const hash = createHash("sha256")
      .update(options.body ?? "{}")
      .digest("base64url");
    return new SignJWT({ body: hash })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(options.issuer ?? "Upstash")
      .setSubject(options.sub ?? endpoint())
      .setIssuedAt(now)
      .setNotBefore(now + (options.notBefore ?? 0))
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(new TextEncoder().encode(options.key ?? t.dev.env.QSTASH_CURRENT_SIGNING_KEY));
  };

  it("rejects every delivery QStash did not sign for this URL with 401/403, short and with no internals", async () => {
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({ iss: "Upstash", sub: endpoint(), body: "x" }),
    ).toString("base64url")}.`;
    const cases: Array<[string, string | undefined, number]> = [
      ["no signature", undefined, 401],
      ["wrong key", await jwt({ key: "sig_not-our-key" }), 401],
      ["expired", await jwt({ expiresIn: -60 }), 401],
      ["not yet valid", await jwt({ notBefore: 120 }), 401],
      ["body hash mismatch", await jwt({ body: '{"other":true}' }), 401],
      ["wrong issuer", await jwt({ issuer: "Someone" }), 401],
      ["alg none", unsigned, 401],
      ["garbage", "not-a-jwt", 401],
      ["another URL of ours", await jwt({ sub: `${t.url}/api/workflows/other` }), 403],
    ];
    const before = (await t.overtime.store.listRuns({ limit: 100 })).runs.length;
    for (const [what, signature, status] of cases) {
      const response = await deliver("{}", signature);
      const text = await response.text();
      expect(response.status, `${what}: ${text}`).toBe(status);
      expect(JSON.parse(text).error.code, what).toMatch(/signature|destination/);
      expect(text, what).not.toMatch(/hash|want:|\sat\s|\/work\/|node_modules/);
    }
    expect((await t.overtime.store.listRuns({ limit: 100 })).runs.length).toBe(before);
  });

  it("never answers a validly signed delivery with a stack trace or a server path", async () => {
    for (const body of ["not json", '{"n":"not a number"}', "[]", '{"n":1,"x":{"y":{"z":[1,2,3]}}}']) {
      const response = await deliver(body, await jwt({ body }));
      const text = await response.text();
      expect(text, body).not.toMatch(/\n\s+at\s|\/work\/|node_modules|file:\/\//);
    }
  });
});

describe("dependencies down", () => {
  it("answers 503 with Retry-After when Redis or QStash cannot be reached", async () => {
    const down = await createTestStack({
      workflows: [echo],
      triggerSecrets: { acme: SECRET },
      clientRetries: false,
    });
    try {
      await down.dev.qstash.close();
      const noQStash = await fetch(`${down.url}/api/trigger/echo`, {
        method: "POST",
        headers: bearer,
        body: JSON.stringify({ n: 1 }),
      });
      expect(noQStash.status).toBe(503);
      expect(noQStash.headers.get("retry-after")).toMatch(/^\d+$/);
      await down.dev.redisRest.close();
      for (const path of ["/api/trigger/echo", "/api/events/e-1"]) {
        const noRedis = await fetch(`${down.url}${path}`, { method: "POST", headers: bearer, body: "{}" });
        expect(noRedis.status, path).toBe(503);
        expect(noRedis.headers.get("retry-after")).toMatch(/^\d+$/);
      }
      const read = await fetch(`${down.url}/api/runs/wfr_x`);
      expect(read.status).toBe(503);
    } finally {
      await down.stop();
    }
  });
});

describe("reads of run data", () => {
  it("need the trigger secret by default, or what the app's readAccess admits", async () => {
    const { createRouter } = await import("@/lib/http/router");
    const { dashboardReadAccess } = await import("@/lib/dashboard/access");
    const router = createRouter(t.overtime);
    const paths = ["/api/runs", "/api/runs/wfr_none", "/api/runs/wfr_none/events", "/api/budgets"];
    for (const path of paths) {
      const anonymous = await router.handle(new Request(`${t.url}${path}`));
      expect(anonymous.status, path).toBe(401);
    }
    const withSecret = await router.handle(
      new Request(`${t.url}/api/runs`, { headers: { authorization: `Bearer ${SECRET}` } }),
    );
    expect(withSecret.status).toBe(200);

    const token = "dashboard-token-0123456789";
    const dashboard = createRouter(t.overtime, {
      readAccess: dashboardReadAccess({ NODE_ENV: "production", DASHBOARD_TOKEN: token }),
    });
    expect((await dashboard.handle(new Request(`${t.url}/api/runs`))).status).toBe(401);
    const signedIn = await dashboard.handle(
      new Request(`${t.url}/api/runs`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(signedIn.status).toBe(200);
  });
});
