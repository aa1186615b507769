import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

/** Budget-style settings: no local block cache (variable rates) and no fail-open timeout. */
function limiter(algorithm: ConstructorParameters<typeof Ratelimit>[0]["limiter"], prefix: string) {
  return new Ratelimit({
    redis: stack.client(),
    limiter: algorithm,
    prefix,
    ephemeralCache: false,
    timeout: 0,
  });
}

async function limit(ratelimit: Ratelimit, rate: number) {
  const { success, remaining, limit: max } = await ratelimit.limit("user-1", { rate });
  return { success, remaining, limit: max };
}

describe("@upstash/ratelimit through the stand-in (scripts with #!lua flags=allow-key-locking)", () => {
  it("fixedWindow: consumes rate > 1, keeps consuming when over, refunds with a negative rate", async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(10, "1 h"), "rl-fixed");
    expect(await limit(ratelimit, 4)).toEqual({ success: true, remaining: 6, limit: 10 });
    expect(await limit(ratelimit, 7)).toMatchObject({ success: false, remaining: 0 });
    expect(await limit(ratelimit, -7)).toEqual({ success: true, remaining: 6, limit: 10 });
    expect((await ratelimit.getRemaining("user-1")).remaining).toBe(6);
    await ratelimit.resetUsedTokens("user-1");
    expect((await ratelimit.getRemaining("user-1")).remaining).toBe(10);
  });

  it("slidingWindow: rejects once the limit is reached and accepts refunds", async () => {
    const ratelimit = limiter(Ratelimit.slidingWindow(10, "1 h"), "rl-sliding");
    expect(await limit(ratelimit, 6)).toEqual({ success: true, remaining: 4, limit: 10 });
    expect(await limit(ratelimit, 3)).toEqual({ success: true, remaining: 1, limit: 10 });
    // Starts below the limit, so it is counted, then reported as over it.
    expect(await limit(ratelimit, 5)).toMatchObject({ success: false, remaining: 0 });
    expect(await limit(ratelimit, -5)).toEqual({ success: true, remaining: 1, limit: 10 });
    expect((await ratelimit.getRemaining("user-1")).remaining).toBe(1);
  });

  it("tokenBucket: rejects a too-large rate without consuming it, and refunds", async () => {
    const ratelimit = limiter(Ratelimit.tokenBucket(5, "1 h", 10), "rl-bucket");
    expect(await limit(ratelimit, 7)).toEqual({ success: true, remaining: 3, limit: 10 });
    expect(await limit(ratelimit, 5)).toMatchObject({ success: false, remaining: 0 });
    expect(await limit(ratelimit, 3)).toEqual({ success: true, remaining: 0, limit: 10 });
    expect(await limit(ratelimit, -4)).toEqual({ success: true, remaining: 4, limit: 10 });
    expect((await ratelimit.getRemaining("user-1")).remaining).toBe(4);
  });

  it("uses EVALSHA with the client's hashes once the scripts are known", async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(100, "1 h"), "rl-sha");
    await limit(ratelimit, 1);
    const before = stack.rest.stats().commandsByName;
    await limit(ratelimit, 1);
    await limit(ratelimit, 1);
    const after = stack.rest.stats().commandsByName;
    expect((after.evalsha ?? 0) - (before.evalsha ?? 0)).toBe(2);
    expect(after.eval ?? 0).toBe(before.eval ?? 0);
  });
});
