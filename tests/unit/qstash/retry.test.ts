import { describe, expect, it } from "vitest";
import {
  compileRetryDelay,
  defaultBackoffMs,
  retryAfterMs,
  retryDelayMs,
  validateRetryDelay,
} from "../../../dev/qstash/retry";

describe("default backoff", () => {
  it("is e^(2.5 n) seconds: first retry later than 10 s and before 50 s", () => {
    expect(defaultBackoffMs(1)).toBe(12_182);
    expect(defaultBackoffMs(1)).toBeGreaterThan(10_000);
    expect(defaultBackoffMs(2)).toBe(148_413);
    expect(defaultBackoffMs(3)).toBe(1_808_042);
  });

  it("is capped at one day", () => {
    expect(defaultBackoffMs(5)).toBe(86_400_000);
    expect(defaultBackoffMs(50)).toBe(86_400_000);
  });
});

describe("retry delay expressions", () => {
  it("evaluates constants and the retried variable (0 for the first retry)", () => {
    expect(retryDelayMs(1, "1000")).toBe(1000);
    expect(retryDelayMs(1, "pow(2, retried) * 1000")).toBe(1000);
    expect(retryDelayMs(3, "pow(2, retried) * 1000")).toBe(4000);
    expect(retryDelayMs(2, "1000 * (1 + retried)")).toBe(2000);
  });

  it("supports the documented functions and operator precedence", () => {
    const f = compileRetryDelay(
      "max(10, min(5, 3)) + sqrt(16) * abs(-2) - floor(1.7) + ceil(0.2) + round(2.5) + exp(0)",
    );
    expect(f(0)).toBe(10 + 8 - 1 + 1 + 3 + 1);
    expect(compileRetryDelay("-retried + 10 % 4")(3)).toBe(-1);
  });

  it("rejects invalid expressions", () => {
    expect(() => validateRetryDelay("pow(2,")).toThrow(/Upstash-Retry-Delay/);
    expect(() => validateRetryDelay("foo(1)")).toThrow();
    expect(() => validateRetryDelay("1000; drop")).toThrow();
    expect(() => validateRetryDelay("pow(1)")).toThrow();
  });

  it("falls back to the default backoff without an expression", () => {
    expect(retryDelayMs(1, undefined)).toBe(defaultBackoffMs(1));
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("reads seconds, HTTP dates and Go durations", () => {
    expect(retryAfterMs(new Headers({ "Retry-After": "7" }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ "Retry-After": "0" }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ "X-RateLimit-Reset": "6m5s" }), now)).toBe(365_000);
  });

  it("ignores values above one day and garbage", () => {
    expect(retryAfterMs(new Headers({ "Retry-After": "100000" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "Retry-After": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});
