import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { RateLimitedError } from "../errors";

export interface RateLimitOptions {
  /** Requests per window per caller (default 60). */
  requests: number;
  /** Window, e.g. "60 s" (default). */
  window?: `${number} ${"ms" | "s" | "m" | "h" | "d"}`;
}

export type CallerLimiter = (caller: string) => Promise<void>;

/** A per-caller sliding-window limit; throws RateLimitedError (429 + Retry-After) when exceeded. */
export function createCallerLimiter(redis: Redis, prefix: string, options: RateLimitOptions): CallerLimiter {
  const limiter = new Ratelimit({
    redis,
    prefix,
    limiter: Ratelimit.slidingWindow(options.requests, options.window ?? "60 s"),
    // An in-process cache would let a warm instance answer 429 without Redis; fine, but keep it explicit.
    ephemeralCache: false,
  });
  return async (caller) => {
    const { success, reset } = await limiter.limit(caller);
    if (!success) throw new RateLimitedError(Math.max(1, Math.ceil((reset - Date.now()) / 1000)));
  };
}
