import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { scriptSha, stripUpstashOnlyFlags } from "@/dev/redis-rest/lua";
import { ScriptAliases } from "@/dev/redis-rest/script-aliases";
import type { RedisReply } from "@/dev/redis-rest/types";

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

describe("stripUpstashOnlyFlags", () => {
  it("drops the shebang text but keeps its newline when allow-key-locking was the only flag", () => {
    expect(stripUpstashOnlyFlags("#!lua flags=allow-key-locking\nreturn 1")).toBe("\nreturn 1");
    expect(stripUpstashOnlyFlags("#!lua flags=allow-key-locking")).toBe("");
  });

  it("keeps the other flags", () => {
    expect(stripUpstashOnlyFlags("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe(
      "#!lua flags=no-writes\nreturn 1",
    );
    expect(stripUpstashOnlyFlags("#!lua flags=allow-key-locking,no-writes,allow-oom\nreturn 1")).toBe(
      "#!lua flags=no-writes,allow-oom\nreturn 1",
    );
  });

  it("leaves scripts without the flag untouched", () => {
    for (const script of [
      "return 1",
      "#!lua\nreturn 1",
      "#!lua flags=no-writes\nreturn 1",
      "-- #!lua flags=allow-key-locking\nreturn 1",
      "#!luajit flags=allow-key-locking\nreturn 1",
    ]) {
      expect(stripUpstashOnlyFlags(script)).toBe(script);
    }
  });

  it("only looks at the first line", () => {
    const script = "#!lua flags=allow-key-locking\nlocal s = '#!lua flags=allow-key-locking'\nreturn s";
    expect(stripUpstashOnlyFlags(script)).toBe("\nlocal s = '#!lua flags=allow-key-locking'\nreturn s");
  });
});

describe("scriptSha", () => {
  it("matches the SHA1 the SDK computes over UTF-8", () => {
    expect(scriptSha("return 'héllo'")).toBe(sha1("return 'héllo'"));
  });
});

describe("ScriptAliases", () => {
  const original = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])";
  const rewritten = "\nreturn redis.call('INCR', KEYS[1])";

  it("rewrites EVAL and then maps EVALSHA from the original SHA to the rewritten one", () => {
    const aliases = new ScriptAliases();
    expect(aliases.prepare(["evalsha", sha1(original), "1", "k"]).args).toEqual([
      "evalsha",
      sha1(original),
      "1",
      "k",
    ]);
    expect(aliases.prepare(["eval", original, "1", "k"]).args).toEqual(["eval", rewritten, "1", "k"]);
    expect(aliases.prepare(["EVALSHA_RO", sha1(original).toUpperCase(), "0"]).args).toEqual([
      "EVALSHA_RO",
      sha1(rewritten),
      "0",
    ]);
  });

  it("answers SCRIPT LOAD with the SHA of the script the client sent", () => {
    const aliases = new ScriptAliases();
    const prepared = aliases.prepare(["script", "load", original]);
    expect(prepared.args).toEqual(["script", "load", rewritten]);
    const reply: RedisReply = Buffer.from(sha1(rewritten));
    expect(prepared.mapReply?.(reply)).toEqual(Buffer.from(sha1(original)));
    expect(prepared.mapReply?.(new Error("ERR compile"))).toEqual(new Error("ERR compile"));
  });

  it("maps every hash of SCRIPT EXISTS", () => {
    const aliases = new ScriptAliases();
    aliases.prepare(["eval", original, "0"]);
    expect(aliases.prepare(["script", "exists", sha1(original), "abc"]).args).toEqual([
      "script",
      "exists",
      sha1(rewritten),
      "abc",
    ]);
  });

  it("passes other commands and unflagged scripts through without a reply mapping", () => {
    const aliases = new ScriptAliases();
    expect(aliases.prepare(["eval", "return 1", "0"])).toEqual({ args: ["eval", "return 1", "0"] });
    expect(aliases.prepare(["script", "load", "return 1"])).toEqual({ args: ["script", "load", "return 1"] });
    expect(aliases.prepare(["get", "k"])).toEqual({ args: ["get", "k"] });
  });

  it("forgets the oldest scripts beyond its capacity", () => {
    const aliases = new ScriptAliases(2);
    const scripts = [1, 2, 3].map((n) => `#!lua flags=allow-key-locking\nreturn ${n}`);
    for (const script of scripts) aliases.prepare(["eval", script, "0"]);
    const [first, second, third] = scripts.map((script) => sha1(script));
    expect(aliases.backendSha(first ?? "")).toBe(first);
    expect(aliases.backendSha(second ?? "")).not.toBe(second);
    expect(aliases.backendSha(third ?? "")).not.toBe(third);
  });
});
