import { errors } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

describe("the Upstash SDK against the stand-in (default base64 encoding, auto-pipelining)", () => {
  it("round-trips strings, JSON values and expiry", async () => {
    const redis = stack.client();
    expect(await redis.set("str:a", "hello wörld 🌍")).toBe("OK");
    expect(await redis.get("str:a")).toBe("hello wörld 🌍");
    await redis.set("str:obj", { nested: [1, "two", true] }, { ex: 100 });
    expect(await redis.get("str:obj")).toEqual({ nested: [1, "two", true] });
    expect(await redis.ttl("str:obj")).toBeGreaterThan(90);
    expect(await redis.get("str:missing")).toBeNull();
    expect(await redis.mget("str:a", "str:missing")).toEqual(["hello wörld 🌍", null]);
    expect(await redis.incrbyfloat("str:float", 1.5)).toBe(1.5);
    expect(await redis.set("str:flag", true)).toBe("OK");
    expect(await redis.get("str:flag")).toBe(true);
  });

  it("handles hashes in RESP2 shape", async () => {
    const redis = stack.client();
    expect(await redis.hset("hash:a", { name: "ada", age: 36, tags: ["x"] })).toBe(3);
    expect(await redis.hgetall("hash:a")).toEqual({ name: "ada", age: 36, tags: ["x"] });
    expect(await redis.hget("hash:a", "name")).toBe("ada");
    expect(await redis.hmget("hash:a", "name", "nope")).toEqual({ name: "ada", nope: null });
    expect(await redis.hincrby("hash:a", "age", 1)).toBe(37);
    expect((await redis.hkeys("hash:a")).sort()).toEqual(["age", "name", "tags"]);
    expect(await redis.hgetall("hash:missing")).toBeNull();
  });

  it("handles lists and sets", async () => {
    const redis = stack.client();
    expect(await redis.rpush("list:a", "one", "two", "three")).toBe(3);
    expect(await redis.lrange("list:a", 0, -1)).toEqual(["one", "two", "three"]);
    expect(await redis.lpop("list:a")).toBe("one");
    expect(await redis.lmove("list:a", "list:b", "left", "right")).toBe("two");
    expect(await redis.sadd("set:a", "x", "y", "z")).toBe(3);
    expect((await redis.smembers("set:a")).sort()).toEqual(["x", "y", "z"]);
    expect(await redis.sismember("set:a", "y")).toBe(1);
    expect(await redis.smismember("set:a", ["x", "nope"])).toEqual([1, 0]);
  });

  it("handles sorted sets, with scores as numbers", async () => {
    const redis = stack.client();
    await redis.zadd("zset:a", { score: 1.5, member: "m1" }, { score: 3, member: "m2" });
    expect(await redis.zscore("zset:a", "m1")).toBe(1.5);
    expect(await redis.zrange("zset:a", 0, -1, { withScores: true })).toEqual(["m1", 1.5, "m2", 3]);
    expect(await redis.zincrby("zset:a", 2, "m1")).toBe(3.5);
    expect(await redis.zrank("zset:a", "m2")).toBe(0);
    expect(await redis.zpopmin("zset:a")).toEqual(["m2", 3]);
  });

  it("handles streams (xadd, xrange, xlen, non-blocking xread)", async () => {
    const redis = stack.client();
    const id = await redis.xadd("stream:a", "*", { event: "created", data: { n: 1 } });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await redis.xrange("stream:a", "-", "+")).toEqual({ [id]: { event: "created", data: { n: 1 } } });
    expect(await redis.xlen("stream:a")).toBe(1);
    const read = await redis.xread("stream:a", "0-0");
    expect(read).toEqual([["stream:a", [[id, ["event", "created", "data", { n: 1 }]]]]]);
  });

  it("emulates Upstash's SCAN ... WITHTYPE", async () => {
    const redis = stack.client();
    await redis.set("scan:string", "v");
    await redis.hset("scan:hash", { f: "v" });
    const [cursor, keys] = await redis.scan(0, { match: "scan:*", count: 1000, withType: true });
    expect(cursor).toBe("0");
    expect(keys).toEqual(
      expect.arrayContaining([
        { key: "scan:string", type: "string" },
        { key: "scan:hash", type: "hash" },
      ]),
    );
  });

  it("answers COPY onto the same key as Upstash does: not copied, no error", async () => {
    const redis = stack.client();
    await redis.set("copy:self", "v");
    expect(await redis.copy("copy:self", "copy:self")).toBe("NOT_COPIED");
    expect(await redis.copy("copy:self", "copy:other")).toBe("COPIED");
    expect(await redis.get("copy:other")).toBe("v");
  });

  it("keeps integers beyond 2^53 exact on the wire", async () => {
    await stack.direct.set("big:n", "9007199254740994");
    const response = await stack.post("/", ["incr", "big:n"], { "Upstash-Encoding": "base64" });
    expect(await response.text()).toBe('{"result":9007199254740995}');
    // The SDK keeps numbers it cannot represent exactly as strings.
    expect(await stack.client().get("big:n")).toBe("9007199254740995");
  });

  it("base64-encodes raw bytes exactly and the SDK decodes them", async () => {
    await stack.direct.set("bin:a", Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    const response = await stack.post("/", ["get", "bin:a"], { "Upstash-Encoding": "base64" });
    expect(await response.json()).toEqual({ result: "//4AQQ==" });
    expect(await stack.client({ automaticDeserialization: false }).get("bin:a")).toBe("\ufffd\ufffd\u0000A");
    await stack.client().set("bin:b", "\u0000\u0001 nul and control bytes");
    expect(await stack.direct.getBuffer("bin:b")).toEqual(Buffer.from("\u0000\u0001 nul and control bytes"));
  });

  it("leaves only a top-level OK unencoded", async () => {
    const headers = { "Upstash-Encoding": "base64" };
    expect(await (await stack.post("/", ["set", "ok:a", "v"], headers)).json()).toEqual({ result: "OK" });
    expect(await (await stack.post("/", ["ping"], headers)).json()).toEqual({ result: "UE9ORw==" });
    const nested = await stack.post("/", ["eval", "return {redis.status_reply('OK'), 'OK'}", "0"], headers);
    expect(await nested.json()).toEqual({ result: ["T0s=", "T0s="] });
    const pipeline = await stack.post(
      "/pipeline",
      [
        ["set", "ok:b", "v"],
        ["type", "ok:b"],
      ],
      headers,
    );
    expect(await pipeline.json()).toEqual([{ result: "OK" }, { result: "c3RyaW5n" }]);
    expect(await stack.client().eval("return {redis.status_reply('OK')}", [], [])).toEqual(["OK"]);
  });

  it("works without base64 (responseEncoding: false)", async () => {
    const redis = stack.client({ responseEncoding: false });
    await redis.set("plain:a", "héllo");
    expect(await redis.get("plain:a")).toBe("héllo");
    expect(await redis.hgetall("hash:a")).toMatchObject({ name: "ada" });
    expect(await redis.zrange("zset:a", 0, -1, { withScores: true })).toEqual(["m1", 3.5]);
    const response = await stack.post("/", ["get", "plain:a"]);
    expect(await response.json()).toEqual({ result: "héllo" });
  });

  it("reports Redis errors with the Redis text", async () => {
    await stack.direct.hset("err:hash", "f", "v");
    const single = stack.client({ enableAutoPipelining: false });
    await expect(single.get("err:hash")).rejects.toThrow(
      'WRONGTYPE Operation against a key holding the wrong kind of value, command was: ["get","err:hash"]',
    );
    await expect(single.get("err:hash")).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(stack.client().get("err:hash")).rejects.toThrow(
      "Command failed: WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    const unknown = await stack.post("/", ["nosuchcmd", "x"]);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toMatch(/^ERR unknown command 'nosuchcmd'/);
    const arity = await stack.post("/", ["get"]);
    expect(await arity.json()).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
  });

  it("sends a fresh Upstash-Sync-Token on every response", async () => {
    const first = await stack.post("/", ["ping"]);
    const second = await stack.post("/", ["nosuchcmd"]);
    const third = await fetch(`${stack.rest.url}/__dev/health`);
    const tokens = [first, second, third].map((response) => response.headers.get("upstash-sync-token"));
    expect(tokens.every((token) => typeof token === "string" && token.length > 0)).toBe(true);
    expect(new Set(tokens).size).toBe(3);
  });

  it("round-trips a 5 MB value", async () => {
    const redis = stack.client();
    const big = "x".repeat(5 * 1024 * 1024);
    await redis.set("large:a", big);
    expect(await redis.strlen("large:a")).toBe(big.length);
    expect(await redis.get("large:a")).toBe(big);
  });
});
