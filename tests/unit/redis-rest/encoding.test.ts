import { describe, expect, it } from "vitest";
import { RedisInteger, stringifyJson, toResponseEntry } from "@/dev/redis-rest/encoding";
import type { RedisReply } from "@/dev/redis-rest/types";

const bytes = (text: string) => Buffer.from(text);
const b64 = (reply: RedisReply) => toResponseEntry(reply, "base64");
const utf8 = (reply: RedisReply) => toResponseEntry(reply, "utf8");

describe("toResponseEntry with Upstash-Encoding: base64", () => {
  it("base64-encodes strings byte for byte", () => {
    expect(b64(bytes("hello"))).toEqual({ result: "aGVsbG8=" });
    expect(b64(Buffer.from([0xff, 0xfe]))).toEqual({ result: "//4=" });
    expect(b64(bytes(""))).toEqual({ result: "" });
  });

  it("leaves a top-level OK literal, but not one inside an array", () => {
    expect(b64(bytes("OK"))).toEqual({ result: "OK" });
    expect(b64([bytes("OK")])).toEqual({ result: ["T0s="] });
    expect(b64([[bytes("OK")]])).toEqual({ result: [["T0s="]] });
  });

  it("encodes other status-like replies like any string", () => {
    expect(b64(bytes("PONG"))).toEqual({ result: "UE9ORw==" });
    expect(b64(bytes("OKAY"))).toEqual({ result: "T0tBWQ==" });
  });

  it("keeps integers exact and nulls as null, at any depth", () => {
    expect(b64("9223372036854775807")).toEqual({ result: new RedisInteger("9223372036854775807") });
    expect(b64(null)).toEqual({ result: null });
    expect(b64([bytes("a"), null, "-3", [bytes("b"), []]])).toEqual({
      result: ["YQ==", null, new RedisInteger("-3"), ["Yg==", []]],
    });
  });

  it("turns a Redis error into an error entry, never encoded", () => {
    expect(b64(new Error("WRONGTYPE Operation against a key"))).toEqual({
      error: "WRONGTYPE Operation against a key",
    });
  });

  it("fails the whole command with the first error nested in an array", () => {
    expect(b64([bytes("a"), [new Error("ERR first")], new Error("ERR second")])).toEqual({
      error: "ERR first",
    });
  });
});

describe("toResponseEntry without base64", () => {
  it("writes strings as UTF-8 text, replacing invalid bytes", () => {
    expect(utf8(bytes("héllo"))).toEqual({ result: "héllo" });
    expect(utf8(Buffer.from([0x61, 0xff]))).toEqual({ result: "a\ufffd" });
    expect(utf8([bytes("OK"), "1"])).toEqual({ result: ["OK", new RedisInteger("1")] });
  });
});

describe("stringifyJson", () => {
  it("writes Redis integers as bare exact numbers", () => {
    expect(stringifyJson({ result: new RedisInteger("9007199254740993") })).toBe(
      '{"result":9007199254740993}',
    );
    expect(stringifyJson([{ result: [new RedisInteger("-1"), "x"] }, { error: "ERR" }])).toBe(
      '[{"result":[-1,"x"]},{"error":"ERR"}]',
    );
  });

  it("keeps a null result key", () => {
    expect(stringifyJson({ result: null })).toBe('{"result":null}');
  });

  it("escapes strings and keys like JSON.stringify", () => {
    const value = { 'a"b': ["line\nbreak", "\u0000", "🌍"] };
    expect(stringifyJson(value)).toBe(JSON.stringify(value));
  });
});
