import { describe, expect, it } from "vitest";
import { RateLimitError } from "@/dev/model/errors";
import { formatResetDuration, RateLimiter } from "@/dev/model/limits";

function limiter(requestsPerMinute: number, tokensPerMinute: number) {
  const clock = { now: 0 };
  return { clock, limiter: new RateLimiter({ requestsPerMinute, tokensPerMinute }, () => clock.now) };
}

function rejection(run: () => unknown): RateLimitError {
  try {
    run();
  } catch (error) {
    if (error instanceof RateLimitError) return error;
    throw error;
  }
  throw new Error("expected a RateLimitError");
}

describe("RateLimiter", () => {
  it("counts down remaining requests and tokens in its headers", () => {
    const { limiter: limits } = limiter(3, 100);
    expect(limits.admit(40, "m")).toMatchObject({
      "x-ratelimit-limit-requests": "3",
      "x-ratelimit-remaining-requests": "2",
      "x-ratelimit-limit-tokens": "100",
      "x-ratelimit-remaining-tokens": "60",
      "x-ratelimit-reset-tokens": "1m0s",
    });
  });

  it("rejects past the token limit until enough tokens leave the window", () => {
    const { clock, limiter: limits } = limiter(100, 100);
    limits.admit(60, "m");
    clock.now = 10_000;
    limits.admit(30, "m");
    clock.now = 20_000;

    const error = rejection(() => limits.admit(50, "gpt-x"));
    expect(error.status).toBe(429);
    expect(error.toBody().error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    expect(error.message).toContain("gpt-x");
    expect(error.message).toContain("Limit 100, Used 90, Requested 50");
    expect(error.headers).toMatchObject({
      "retry-after": "40",
      "retry-after-ms": "40000",
      "x-ratelimit-remaining-tokens": "0",
    });

    clock.now = 60_000;
    expect(limits.admit(50, "m")["x-ratelimit-remaining-tokens"]).toBe("20");
    // The most it ever held in one sliding minute: 60 + 30 (the refused 50 never counted).
    expect(limits.peaks()).toEqual({ peakTokensPerMinute: 90, peakRequestsPerMinute: 2 });
  });

  it("rejects past the request limit, and rejected requests cost nothing", () => {
    const { clock, limiter: limits } = limiter(2, 1_000);
    limits.admit(1, "m");
    limits.admit(1, "m");
    expect(rejection(() => limits.admit(1, "m")).toBody().error.type).toBe("requests");
    expect(rejection(() => limits.admit(1, "m")).message).toContain("Used 2");
    clock.now = 60_000;
    expect(limits.admit(1, "m")["x-ratelimit-remaining-requests"]).toBe("1");
  });

  it("never admits a request larger than the whole limit", () => {
    const { limiter: limits } = limiter(10, 50);
    expect(rejection(() => limits.admit(51, "m")).message).toContain("Requested 51");
  });
});

describe("formatResetDuration", () => {
  it.each([
    [0, "0s"],
    [20.2, "21ms"],
    [1500, "1.5s"],
    [59_999, "59.999s"],
    [60_000, "1m0s"],
    [361_500, "6m1.5s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatResetDuration(ms)).toBe(text);
  });
});
