import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

const LOCKING_SCRIPT = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])";

describe("scripts", () => {
  it("runs eval, evalsha and evalRo", async () => {
    const redis = stack.client();
    expect(await redis.eval("return {KEYS[1], ARGV[1], 3.9, true, false}", ["k"], ["a"])).toEqual([
      "k",
      "a",
      3,
      1,
      null,
    ]);
    const sha = await redis.scriptLoad("return ARGV[1] .. '!'");
    expect(sha).toBe(sha1("return ARGV[1] .. '!'"));
    expect(await redis.evalsha(sha, [], ["hi"])).toBe("hi!");
    await redis.set("ro:key", "value");
    expect(await redis.evalRo("return redis.call('GET', KEYS[1])", ["ro:key"], [])).toBe("value");
  });

  it("falls back from evalsha to eval in createScript", async () => {
    const redis = stack.client();
    const script = redis.createScript<number>("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    expect(await script.exec(["script:counter"], ["2"])).toBe(2);
    expect(await script.evalsha(["script:counter"], ["3"])).toBe(5);
  });

  it("accepts Upstash's allow-key-locking flag and keeps the client's SHA", async () => {
    const redis = stack.client();
    const clientSha = sha1(LOCKING_SCRIPT);
    await expect(redis.evalsha(clientSha, ["lock:a"], [1])).rejects.toThrow("NOSCRIPT");
    const script = redis.createScript<number>(LOCKING_SCRIPT);
    expect(await script.exec(["lock:a"], ["4"])).toBe(4);
    // After the EVAL the client's SHA resolves to the rewritten script.
    expect(await redis.evalsha(clientSha, ["lock:a"], [1])).toBe(5);
    expect(await redis.scriptExists(clientSha, "0".repeat(40))).toEqual([1, 0]);
  });

  it("returns the original SHA from SCRIPT LOAD of a rewritten script", async () => {
    const redis = stack.client();
    const script = "#!lua flags=allow-key-locking\nreturn 'loaded'";
    expect(await redis.scriptLoad(script)).toBe(sha1(script));
    expect(await redis.evalsha(sha1(script), [], [])).toBe("loaded");
  });

  it("keeps other flags, and Lua line numbers, when removing the Upstash-only flag", async () => {
    const redis = stack.client();
    const readOnly = "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('GET', KEYS[1])";
    await redis.set("lock:ro", "v");
    expect(await redis.evalRo(readOnly, ["lock:ro"], [])).toBe("v");
    const failing = "#!lua flags=allow-key-locking\nreturn redis.call('NOSUCHCMD')";
    await expect(redis.eval(failing, [], [])).rejects.toThrow(/@user_script:2/);
  });
});

describe("pipelines", () => {
  it("runs an explicit pipeline with per-command results and errors", async () => {
    const redis = stack.client();
    await redis.del("pipe:s");
    const ok = await redis.pipeline().set("pipe:s", "1").incr("pipe:s").get("pipe:s").exec();
    expect(ok).toEqual(["OK", 2, 2]);
    const failing = redis.pipeline().set("pipe:s", "x").lpush("pipe:s", "a").get("pipe:s");
    await expect(failing.exec()).rejects.toThrow("Command 2 [ lpush ] failed: WRONGTYPE");
    const kept = await redis.pipeline().lpush("pipe:s", "a").get("pipe:s").exec({ keepErrors: true });
    expect(kept[0]?.error).toMatch(/^WRONGTYPE/);
    expect(kept[1]).toEqual({ error: undefined, result: "x" });
  });

  it("batches same-tick commands into one /pipeline request (auto-pipelining)", async () => {
    const redis = stack.client();
    const before = stack.rest.stats();
    const results = await Promise.all([
      redis.set("auto:a", 1),
      redis.set("auto:b", 2),
      redis.set("auto:c", 3),
    ]);
    expect(results).toEqual(["OK", "OK", "OK"]);
    const after = stack.rest.stats();
    expect(after.endpoints.pipeline - before.endpoints.pipeline).toBe(1);
    expect(after.commands - before.commands).toBe(3);
  });

  it("answers a refused command inside a pipeline with an error entry and runs the rest", async () => {
    const response = await stack.post("/pipeline", [
      ["set", "pipe:r", "1"],
      ["select", "1"],
      ["get", "pipe:r"],
    ]);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body[0]).toEqual({ result: "OK" });
    expect(body[1].error).toMatch(/SELECT is not supported/);
    expect(body[1]).not.toHaveProperty("result");
    expect(body[2]).toEqual({ result: "1" });
  });
});

describe("transactions (/multi-exec)", () => {
  it("runs a transaction", async () => {
    const redis = stack.client();
    const results = await redis.multi().set("tx:a", 10).incrby("tx:a", 5).get("tx:a").exec();
    expect(results).toEqual(["OK", 15, 15]);
  });

  it("reports runtime errors per command while the others still apply", async () => {
    const redis = stack.client();
    const results = await redis
      .multi()
      .set("tx:b", "x")
      .lpush("tx:b", "y")
      .set("tx:c", "z")
      .exec({ keepErrors: true });
    expect(results[1]?.error).toMatch(/^WRONGTYPE/);
    expect(await redis.get("tx:c")).toBe("z");
  });

  it("discards the whole transaction on a queue-time error", async () => {
    const redis = stack.client();
    await redis.del("tx:d");
    // hset with no field/value pairs is an arity error, caught while queueing.
    const tx = redis.multi().set("tx:d", "1").hset("tx:e", {});
    await expect(tx.exec()).rejects.toThrow(
      /EXECABORT Transaction discarded .*command 2 \(hset\).*wrong number of arguments/,
    );
    expect(await redis.get("tx:d")).toBeNull();
    const raw = await stack.post("/multi-exec", [["set", "tx:d", "1"], ["nosuchcmd"]]);
    expect(raw.status).toBe(400);
    expect((await raw.json()).error).toMatch(/ERR unknown command 'nosuchcmd'/);
    expect(await redis.get("tx:d")).toBeNull();
  });

  it("refuses a connection-state command before running anything", async () => {
    const raw = await stack.post("/multi-exec", [
      ["set", "tx:f", "1"],
      ["watch", "tx:f"],
    ]);
    expect(raw.status).toBe(400);
    expect((await raw.json()).error).toMatch(
      /WATCH is not supported.*command 2 of the transaction; nothing was executed/,
    );
    expect(await stack.direct.exists("tx:f")).toBe(0);
  });

  it("stays atomic while other requests run concurrently", async () => {
    const redis = stack.client({ enableAutoPipelining: false });
    await redis.del("tx:counter");
    const transactions = Array.from({ length: 20 }, () =>
      redis.multi().incr("tx:counter").incr("tx:counter").incr("tx:counter").exec(),
    );
    const noise = Array.from({ length: 20 }, () => redis.incr("tx:counter"));
    const results = await Promise.all(transactions);
    await Promise.all(noise);
    for (const [first, second, third] of results as number[][]) {
      expect([second, third]).toEqual([(first ?? 0) + 1, (first ?? 0) + 2]);
    }
    expect(await redis.get("tx:counter")).toBe(80);
  });
});
