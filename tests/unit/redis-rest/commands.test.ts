import { describe, expect, it } from "vitest";
import { refusalFor } from "@/dev/redis-rest/commands";
import { BadRequestError } from "@/dev/redis-rest/errors";
import { parseCommandList, parseJson, parseSingleCommand } from "@/dev/redis-rest/request-body";
import { rewriteUpstashOnlyForms } from "@/dev/redis-rest/upstash-compat";

describe("refusalFor", () => {
  it("refuses connection-state commands in any case, naming the alternative", () => {
    expect(refusalFor(["multi"])).toMatch(/^ERR MULTI is not supported.*POST \/multi-exec/);
    expect(refusalFor(["Select", "1"])).toMatch(/SELECT.*database 0/);
    expect(refusalFor(["psubscribe", "a*"])).toMatch(/POST \/psubscribe\/<pattern>/);
    expect(refusalFor(["hello", "3"])).toMatch(/HELLO/);
    expect(refusalFor(["client", "reply", "off"])).toMatch(/CLIENT REPLY/);
    expect(refusalFor(["client", "list"])).toBeUndefined();
  });

  it("refuses blocking commands, suggesting the non-blocking form", () => {
    expect(refusalFor(["brpoplpush", "a", "b", "0"])).toMatch(/BRPOPLPUSH is a blocking command.*LMOVE/);
    expect(refusalFor(["bzpopmin", "z", "1"])).toMatch(/ZPOPMIN/);
    expect(refusalFor(["wait", "1", "0"])).toMatch(/WAIT is a blocking command/);
    expect(refusalFor(["xread", "COUNT", "1", "BLOCK", "100", "STREAMS", "s", "$"])).toMatch(
      /XREAD with BLOCK/,
    );
  });

  it("allows XREAD without BLOCK, even with a stream named block", () => {
    expect(refusalFor(["xread", "streams", "block", "0"])).toBeUndefined();
    expect(refusalFor(["xreadgroup", "group", "block", "c", "streams", "s", ">"])).toBeUndefined();
    expect(refusalFor(["get", "k"])).toBeUndefined();
  });
});

describe("request bodies", () => {
  const json = (text: string) => parseJson(Buffer.from(text));

  it("turns numbers and booleans into the text JavaScript prints", () => {
    expect(parseSingleCommand(json('["set","k",1.5,true,1e21,-0]'))).toEqual([
      "set",
      "k",
      "1.5",
      "true",
      "1e+21",
      "0",
    ]);
  });

  it("rejects what Redis could not take", () => {
    expect(() => json("")).toThrow(BadRequestError);
    expect(() => json("[")).toThrow(/invalid JSON/);
    expect(() => parseSingleCommand(json('{"a":1}'))).toThrow(/must be a JSON array.*got an object/);
    expect(() => parseSingleCommand([])).toThrow(/command name is missing/);
    expect(() => parseSingleCommand([""])).toThrow(/non-empty string/);
    expect(() => parseSingleCommand(["set", "k", null])).toThrow(/argument 2 .* is null/);
    expect(() => parseSingleCommand(["set", "k", ["nested"]])).toThrow(/got an array/);
    expect(() => parseCommandList([])).toThrow(/at least one command/);
    expect(() => parseCommandList([["get", "k"], "get"])).toThrow(/command 2 must be a JSON array/);
  });
});

describe("rewriteUpstashOnlyForms", () => {
  it("runs SCAN ... WITHTYPE as a script without the WITHTYPE flag", () => {
    const rewritten = rewriteUpstashOnlyForms(["scan", "0", "match", "a*", "count", "10", "withtype"]);
    expect(rewritten[0]).toBe("EVAL");
    expect(rewritten.slice(2)).toEqual(["0", "0", "match", "a*", "count", "10"]);
  });

  it("leaves a plain SCAN, and a MATCH pattern spelled withtype, alone", () => {
    expect(rewriteUpstashOnlyForms(["scan", "0", "type", "string"])).toEqual(["scan", "0", "type", "string"]);
    expect(rewriteUpstashOnlyForms(["scan", "0", "match", "withtype"])).toEqual([
      "scan",
      "0",
      "match",
      "withtype",
    ]);
  });
});
