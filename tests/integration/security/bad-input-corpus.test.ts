import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { createTestStack, type TestStack } from "@/dev/testing";
import { signBody } from "@/lib/trigger/auth";
import { defineWorkflow } from "@/lib/workflow/define";
import { BAD_IDS, INTERNALS } from "@/tests/support/hostile-input";

/**
 * A generated corpus of malformed requests across every route: bad JSON, wrong types, huge and deep
 * bodies, NUL and bad percent-encoding in paths, forged / expired / replayed / other-URL signatures,
 * wrong content types and methods. Not one may answer ≥ 500, carry a stack trace or a server path, or
 * leave a run behind.
 */
const SECRET = "corpus-secret-0123456789";

const echo = defineWorkflow({
  name: "echo",
  input: z.object({ n: z.number().int() }),
  async handler({ context, input }) {
    return context.run("echo", () => input.n);
  },
});

let t: TestStack;
const apiCalls: string[] = [];
beforeAll(async () => {
  t = await createTestStack({
    workflows: [echo],
    triggerSecrets: { acme: SECRET },
    rateLimit: { requests: 100_000, window: "60 s" },
    onLog: (service, line) => {
      if (service === "qstash" && line.startsWith("api ")) apiCalls.push(line);
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** mulberry32: the corpus is the same on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const BAD_BODIES = [
  "{",
  "}",
  "null",
  "[]",
  '"text"',
  "true",
  "123",
  '{"n":"x"}',
  '{"n":1.5}',
  '{"n":null}',
  '{"n":[1]}',
  '{"n":{"$gt":0}}',
  '{"__proto__":{"n":1}}',
  '{"n":"\\u0000"}',
  "\u0000\u0001\u0002",
  '{"n":1,}',
  "\ufeff{",
  "[".repeat(10_000) + "]".repeat(10_000),
  `{"n":"${"x".repeat(1_200_000)}"}`,
  `{"mode":"bogus","approved":"yes","note":${JSON.stringify("y".repeat(5_000))}}`,
];

const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
];

async function deliverySignatures(): Promise<Array<string | undefined>> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, key = t.dev.env.QSTASH_CURRENT_SIGNING_KEY, exp = 300) =>
    new SignJWT({ body: createHash("sha256").update("{}").digest("base64url"), ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(String(claims.iss ?? "Upstash"))
      .setSubject(String(claims.sub ?? `${t.url}/api/workflows/echo`))
      .setIssuedAt(now)
      .setExpirationTime(now + exp)
      .sign(new TextEncoder().encode(key));
  const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from("{}").toString("base64url")}.`;
  return [
    undefined,
    "garbage",
    "a.b.c",
    none,
    await sign({}, "sig_wrong"),
    await sign({}, t.dev.env.QSTASH_CURRENT_SIGNING_KEY, -120),
    await sign({ iss: "Mallory" }),
    await sign({ sub: `${t.url}/api/workflows/other` }),
    await sign({ sub: "https://evil.example/api/workflows/echo" }),
    await sign({ body: "not-the-hash" }),
  ];
}

let replayed: Case;

async function buildCorpus(): Promise<Case[]> {
  const next = random(1234);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const now = Math.floor(Date.now() / 1000);
  const auths = (body: string): Array<Record<string, string>> => [
    {},
    { authorization: "Bearer wrong-secret" },
    { authorization: "Basic YWJjOmRlZg==" },
    { authorization: `Bearer ${SECRET}` },
    { "x-overtime-timestamp": "abc", "x-overtime-signature": signBody(SECRET, now, body) },
    { "x-overtime-timestamp": `${now}.5`, "x-overtime-signature": signBody(SECRET, now, body) },
    {
      "x-overtime-timestamp": String(now - 3_600),
      "x-overtime-signature": signBody(SECRET, now - 3_600, body),
    },
    { "x-overtime-timestamp": String(now), "x-overtime-signature": "sha256=00" },
    { "x-overtime-timestamp": String(now), "x-overtime-signature": signBody("other", now, body) },
  ];
  const writeRoutes = (id: string, other: string) => [
    `/api/trigger/echo`,
    `/api/trigger/${id}`,
    `/api/events/${id}`,
    `/api/runs/${id}/cancel`,
    `/api/runs/${id}/retry`,
    `/api/runs/${id}/approvals/${other}`,
  ];
  const readRoutes = (id: string, other: string) => [
    `/api/runs/${id}`,
    `/api/runs/${id}/events`,
    `/api/runs/${id}/steps/${other}`,
    `/api/runs?limit=${other}`,
    `/api/runs?status=${other}&workflow=${id}`,
    `/api/runs?cursor=${id}`,
    `/api/${id}`,
  ];
  const cases: Case[] = [];
  // Random combinations of route, id, body, content type and credentials.
  for (let i = 0; i < 900; i++) {
    const body = pick(BAD_BODIES);
    const contentType = pick(CONTENT_TYPES);
    const path = pick(writeRoutes(pick(BAD_IDS), pick(BAD_IDS)));
    cases.push({
      method: "POST",
      path,
      headers: { ...pick(auths(body)), ...(contentType && { "content-type": contentType }) },
      body,
    });
  }
  for (const id of BAD_IDS) {
    for (const path of readRoutes(id, pick(BAD_IDS))) cases.push({ method: "GET", path, headers: {} });
  }
  // Wrong methods on every known path.
  for (const method of ["PUT", "DELETE", "PATCH"]) {
    for (const path of [
      "/api/trigger/echo",
      "/api/runs",
      "/api/events/e1",
      "/api/budgets",
      "/api/workflows/echo",
    ]) {
      cases.push({ method, path, headers: { authorization: `Bearer ${SECRET}` }, body: "{}" });
    }
  }
  // Deliveries to the workflow endpoint with forged signatures and odd bodies.
  for (const signature of await deliverySignatures()) {
    for (const body of ["{}", "not json", '{"n":1}', pick(BAD_BODIES)]) {
      for (const path of ["/api/workflows/echo", "/api/workflows/nosuch", "/api/workflows/%00"]) {
        cases.push({
          method: "POST",
          path,
          headers: {
            "content-type": "application/json",
            ...(signature && { "upstash-signature": signature }),
          },
          body,
        });
      }
    }
  }
  // Replays of a signed notify the test sent once (validly) before the corpus.
  for (let i = 0; i < 5; i++) cases.push(replayed);
  return cases;
}

function send(c: Case): Promise<{ status: number; text: string }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: c.method,
        path: c.path,
        headers: {
          ...c.headers,
          ...(c.body !== undefined && { "content-length": Buffer.byteLength(c.body) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        // SSE answers (a run that exists) are not expected here; cap what is read regardless.
        res.on("data", (chunk: string) => {
          if (text.length < 100_000) text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${c.method} ${c.path}`)));
    req.end(c.body);
  });
}

it("answers 1,000+ malformed requests with 4xx only, no internals, and no side effects", async () => {
  const now = Math.floor(Date.now() / 1000);
  replayed = {
    method: "POST",
    path: "/api/events/corpus-event",
    headers: {
      "content-type": "application/json",
      "x-overtime-timestamp": String(now),
      "x-overtime-signature": signBody(SECRET, now, "{}"),
    },
    body: "{}",
  };
  expect((await send(replayed)).status).toBe(200);
  const corpus = await buildCorpus();
  expect(corpus.length).toBeGreaterThanOrEqual(1_000);
  const failures: string[] = [];
  let next = 0;
  const counts = new Map<number, number>();
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < corpus.length) {
        const c = corpus[next++] as Case;
        const { status, text } = await send(c);
        counts.set(status, (counts.get(status) ?? 0) + 1);
        const where = `${c.method} ${c.path.slice(0, 80)} [${JSON.stringify(c.headers).slice(0, 80)}] ${String(c.body).slice(0, 40)}`;
        if (status >= 500 || status < 400) failures.push(`${status} ${where}: ${text.slice(0, 200)}`);
        else if (INTERNALS.test(text) || text.includes(process.cwd()))
          failures.push(`internals in ${where}: ${text.slice(0, 300)}`);
      }
    }),
  );
  expect(failures).toEqual([]);
  await t.waitForIdle();
  expect((await t.overtime.store.listRuns({ limit: 100 })).runs).toEqual([]);
  // The one valid notify before the corpus is the only call that reached QStash's write endpoints.
  expect(apiCalls.filter((line) => /\/v2\/(publish|batch|notify)/.test(line))).toHaveLength(1);
  // Roughly what the corpus exercised, for the test log.
  console.info("corpus statuses", Object.fromEntries([...counts].sort(([a], [b]) => a - b)));
}, 240_000);
