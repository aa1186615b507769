/**
 * Requests-per-minute and tokens-per-minute limits over a sliding 60 s window, with OpenAI's
 * `x-ratelimit-*` headers. A request is charged its whole token count (input + output, known up
 * front because the policy is deterministic) when admitted; rejected requests cost nothing.
 */
import { RateLimitError } from "./errors";

export const WINDOW_MS = 60_000;
/** Used when no limit is configured: high enough never to get in the way of development. */
export const DEFAULT_REQUESTS_PER_MINUTE = 10_000;
export const DEFAULT_TOKENS_PER_MINUTE = 10_000_000;

export interface RateLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

interface Admission {
  at: number;
  tokens: number;
}

/** The most the enforced limits ever held in one sliding minute: proof that no minute went over. */
export interface WindowPeaks {
  peakTokensPerMinute: number;
  peakRequestsPerMinute: number;
}

export class RateLimiter {
  private admitted: Admission[] = [];
  private readonly peak: WindowPeaks = { peakTokensPerMinute: 0, peakRequestsPerMinute: 0 };

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number,
  ) {}

  /**
   * Admits a request costing `tokens` and returns the headers to send with it, or throws a
   * RateLimitError (429, with `retry-after`) naming the limit it would exceed.
   */
  admit(tokens: number, model: string): Record<string, string> {
    const now = this.now();
    this.forgetBefore(now - WINDOW_MS);
    const { requestsPerMinute, tokensPerMinute } = this.limits;
    if (this.admitted.length + 1 > requestsPerMinute) {
      const waitMs = this.waitUntilFreed((_) => 1, 1, requestsPerMinute, now);
      throw this.rejection(
        "requests",
        model,
        { limit: requestsPerMinute, used: this.admitted.length, requested: 1 },
        waitMs,
        now,
      );
    }
    const used = this.usedTokens();
    if (used + tokens > tokensPerMinute) {
      const waitMs = this.waitUntilFreed((entry) => entry.tokens, tokens, tokensPerMinute, now);
      throw this.rejection("tokens", model, { limit: tokensPerMinute, used, requested: tokens }, waitMs, now);
    }
    this.admitted.push({ at: now, tokens });
    this.peak.peakTokensPerMinute = Math.max(this.peak.peakTokensPerMinute, used + tokens);
    this.peak.peakRequestsPerMinute = Math.max(this.peak.peakRequestsPerMinute, this.admitted.length);
    return this.headers(now);
  }

  peaks(): WindowPeaks {
    return { ...this.peak };
  }

  /** The current `x-ratelimit-*` headers, without admitting anything. */
  headers(now = this.now()): Record<string, string> {
    this.forgetBefore(now - WINDOW_MS);
    const { requestsPerMinute, tokensPerMinute } = this.limits;
    const fullyResetMs = this.admitted.length === 0 ? 0 : (this.admitted.at(-1)?.at ?? now) + WINDOW_MS - now;
    return {
      "x-ratelimit-limit-requests": String(requestsPerMinute),
      "x-ratelimit-remaining-requests": String(Math.max(0, requestsPerMinute - this.admitted.length)),
      "x-ratelimit-reset-requests": formatResetDuration(fullyResetMs),
      "x-ratelimit-limit-tokens": String(tokensPerMinute),
      "x-ratelimit-remaining-tokens": String(Math.max(0, tokensPerMinute - this.usedTokens())),
      "x-ratelimit-reset-tokens": formatResetDuration(fullyResetMs),
    };
  }

  private usedTokens(): number {
    return this.admitted.reduce((sum, entry) => sum + entry.tokens, 0);
  }

  private forgetBefore(cutoff: number): void {
    while ((this.admitted[0]?.at ?? Number.POSITIVE_INFINITY) <= cutoff) this.admitted.shift();
  }

  /**
   * How long until enough admissions leave the window for `needed` more to fit under `limit`.
   * A request larger than the limit itself can never fit; it gets the time to a fully empty window.
   */
  private waitUntilFreed(
    cost: (entry: Admission) => number,
    needed: number,
    limit: number,
    now: number,
  ): number {
    let inUse = this.admitted.reduce((sum, entry) => sum + cost(entry), 0);
    for (const entry of this.admitted) {
      inUse -= cost(entry);
      if (inUse + needed <= limit) return entry.at + WINDOW_MS - now;
    }
    return (this.admitted.at(-1)?.at ?? now) + WINDOW_MS - now;
  }

  private rejection(
    kind: "requests" | "tokens",
    model: string,
    numbers: { limit: number; used: number; requested: number },
    waitMs: number,
    now: number,
  ): RateLimitError {
    const unit = kind === "requests" ? "requests per min (RPM)" : "tokens per min (TPM)";
    const message =
      `Rate limit reached for ${model} in organization org-overtime-dev on ${unit}: ` +
      `Limit ${numbers.limit}, Used ${numbers.used}, Requested ${numbers.requested}. ` +
      `Please try again in ${formatResetDuration(waitMs)}. (Enforced by the Overtime dev model.)`;
    const headers = {
      ...this.headers(now),
      [`x-ratelimit-remaining-${kind}`]: "0",
      "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
      "retry-after-ms": String(Math.max(0, Math.ceil(waitMs))),
    };
    return new RateLimitError(message, kind, headers);
  }
}

/** OpenAI's duration style: `20ms`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${trimDecimals(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${trimDecimals((ms - minutes * 60_000) / 1000)}s`;
}

function trimDecimals(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
