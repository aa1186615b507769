import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisRest } from "@/dev/redis-rest/server";
import { freePort } from "@/dev/support/ports";
import { startRedisServer } from "@/dev/support/redis-server";
import { type Stack, startStack, TOKEN } from "./harness";

const MAX_BODY_BYTES = 64 * 1024;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ maxBodyBytes: MAX_BODY_BYTES });
});

afterAll(async () => {
  await stack?.close();
});

async function expectError(response: Response, status: number, pattern: RegExp): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  const body = await response.json();
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).toMatch(pattern);
}

describe("authentication", () => {
  it("answers 401 without a token or with a wrong one", async () => {
    await expectError(await stack.post("/", ["ping"], { authorization: "" }), 401, /WRONGPASS/);
    await expectError(await stack.post("/", ["ping"], { authorization: "Bearer nope" }), 401, /WRONGPASS/);
    await expect(stack.client({ token: "nope" }).get("x")).rejects.toThrow(/WRONGPASS/);
  });

  it("accepts the _token query parameter and a lower-case scheme", async () => {
    const query = await stack.post(`/?_token=${TOKEN}`, ["ping"], { authorization: "" });
    expect(await query.json()).toEqual({ result: "PONG" });
    const lower = await stack.post("/", ["ping"], { authorization: `bearer ${TOKEN}` });
    expect(lower.status).toBe(200);
  });
});

describe("malformed requests", () => {
  it("names what is wrong with the body", async () => {
    await expectError(await stack.post("/", "{not json"), 400, /invalid JSON/);
    await expectError(await stack.post("/", ""), 400, /empty request body/);
    await expectError(await stack.post("/", { cmd: "get" }), 400, /must be a JSON array.*got an object/);
    await expectError(await stack.post("/", []), 400, /empty array: the command name is missing/);
    await expectError(
      await stack.post("/", [42, "k"]),
      400,
      /command name must be a non-empty string, got number 42/,
    );
    await expectError(
      await stack.post("/", ["set", "k", null]),
      400,
      /argument 2 of the request body \(set\) is null/,
    );
    await expectError(
      await stack.post("/", ["set", "k", { a: 1 }]),
      400,
      /must be a string, number or boolean/,
    );
    await expectError(await stack.post("/pipeline", ["get", "k"]), 400, /command 1 must be a JSON array/);
    await expectError(await stack.post("/pipeline", []), 400, /at least one command/);
    await expectError(
      await stack.post("/multi-exec", [["get", "k"], []]),
      400,
      /command 2 is an empty array/,
    );
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    await expectError(await stack.post("/get/key", []), 404, /Unknown path \/get\/key/);
    const get = await fetch(`${stack.rest.url}/pipeline`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await expectError(get, 405, /Method GET is not allowed on \/pipeline; use POST/);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("refuses connection-state and blocking commands with a hint", async () => {
    await expectError(await stack.post("/", ["multi"]), 400, /MULTI is not supported.*\/multi-exec/);
    await expectError(
      await stack.post("/", ["subscribe", "ch"]),
      400,
      /SUBSCRIBE is not supported.*\/subscribe\/<channel>/,
    );
    await expectError(
      await stack.post("/", ["client", "reply", "off"]),
      400,
      /CLIENT REPLY is not supported/,
    );
    await expectError(await stack.post("/", ["blpop", "q", "0"]), 400, /BLPOP is a blocking command.*LPOP/);
    await expectError(
      await stack.post("/", ["xread", "block", "0", "streams", "s", "$"]),
      400,
      /XREAD with BLOCK/,
    );
    const allowed = await stack.post("/", ["client", "id"]);
    expect(allowed.status).toBe(200);
  });

  it("keeps serving after all of the above", async () => {
    expect(await (await stack.post("/", ["ping"])).json()).toEqual({ result: "PONG" });
  });
});

describe("request size limit", () => {
  it("answers 413 with a JSON error over maxBodyBytes", async () => {
    const value = "x".repeat(MAX_BODY_BYTES + 1);
    await expectError(
      await stack.post("/", ["set", "big", value]),
      413,
      /max request size exceeded.*65536 bytes/,
    );
    await expect(stack.client().set("big", value)).rejects.toThrow(/max request size exceeded/);
    expect(await stack.direct.exists("big")).toBe(0);
    expect(await (await stack.post("/", ["ping"])).json()).toEqual({ result: "PONG" });
  });

  it("answers at once and closes the connection when the declared size is absurd", async () => {
    const url = new URL(stack.rest.url);
    const { status, body, connection } = await new Promise<{
      status?: number;
      body: string;
      connection?: string;
    }>((resolve, reject) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/",
        headers: { authorization: `Bearer ${TOKEN}`, "content-length": String(10 * 1024 ** 3) },
      });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode, body: text, connection: res.headers.connection }),
        );
      });
      req.on("error", reject);
      req.write("x".repeat(1024));
    });
    expect(status).toBe(413);
    expect(connection).toBe("close");
    expect(JSON.parse(body).error).toMatch(/max request size exceeded/);
  });
});

describe("dev endpoints", () => {
  it("serves health and stats without auth", async () => {
    expect(await (await fetch(`${stack.rest.url}/__dev/health`)).json()).toEqual({
      ok: true,
      redis: "ready",
    });
    const stats = await (await fetch(`${stack.rest.url}/__dev/stats`)).json();
    expect(stats).toMatchObject({ requests: expect.any(Number), commands: expect.any(Number) });
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.errors.responses).toBeGreaterThan(0);
    expect(stats).toEqual(stack.rest.stats());
  });

  it("counts one command per pipeline entry and one HTTP request per call", async () => {
    const before = stack.rest.stats();
    await stack.post("/pipeline", [
      ["set", "a", "1"],
      ["get", "a"],
      ["del", "a"],
    ]);
    const after = stack.rest.stats();
    expect(after.requests - before.requests).toBe(1);
    expect(after.commands - before.commands).toBe(3);
  });
});

describe("Redis outages", () => {
  it("answers 503 with a JSON error while redis-server is down", async () => {
    const port = await freePort();
    const rest = await startRedisRest({
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      token: TOKEN,
      port,
    });
    expect(rest.url).toBe(`http://127.0.0.1:${port}`);
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${rest.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(body),
        });
      await expectError(await post("/", ["ping"]), 503, /Redis backend unavailable/);
      await expectError(await post("/pipeline", [["ping"]]), 503, /Redis backend unavailable/);
      await expectError(await post("/multi-exec", [["ping"]]), 503, /Redis backend unavailable/);
      await expectError(await post("/subscribe/ch", []), 503, /Redis backend unavailable/);
      expect(await (await fetch(`${rest.url}/__dev/health`)).json()).toMatchObject({ ok: true });
    } finally {
      await rest.close();
    }
  });

  it("ends subscriber streams when Redis stops, answers 503, and recovers when it is back", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "redis-rest-outage-"));
    const port = await freePort();
    let redisServer = await startRedisServer({ dataDir, port, persist: false });
    const rest = await startRedisRest({ redisUrl: redisServer.url, token: TOKEN });
    const post = (body: unknown) =>
      fetch(rest.url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    try {
      const stream = await fetch(`${rest.url}/subscribe/ch`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: "[]",
      });
      const reader = stream.body?.getReader();
      if (!reader) throw new Error("no body");
      await reader.read();
      await redisServer.stop();
      while (!(await reader.read()).done) {
        // drain until the stand-in ends the stream
      }
      await expectError(await post(["ping"]), 503, /Redis backend unavailable/);
      redisServer = await startRedisServer({ dataDir, port, persist: false });
      const deadline = Date.now() + 10_000;
      let response = await post(["ping"]);
      while (response.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        response = await post(["ping"]);
      }
      expect(await response.json()).toEqual({ result: "PONG" });
    } finally {
      await rest.close();
      await redisServer.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("connection handling", () => {
  it("keeps idle connections open longer than client pools do (> 5 s)", async () => {
    const response = await stack.post("/", ["ping"]);
    const timeout = Number(/timeout=(\d+)/.exec(response.headers.get("keep-alive") ?? "")?.[1]);
    expect(timeout).toBeGreaterThan(5);
  });
});
