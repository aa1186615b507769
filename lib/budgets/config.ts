import { z } from "zod";

/**
 * A token and request budget for one model, shared by every run (and, with a tenant key, by every run
 * of that tenant). Both limits are per minute; either may be omitted.
 */
export interface BudgetLimits {
  tokensPerMinute?: number;
  requestsPerMinute?: number;
  /**
   * How much of a minute's allowance may be spent at once (default 25%). The rest refills every
   * second. burst + refill per minute = the limit, so no sliding minute ever exceeds it: that is what
   * keeps a provider's own sliding-window limit from answering 429.
   */
  burstShare?: number;
}

/** Budgets by model id (as passed to the provider, e.g. "gpt-4o-mini"). */
export type BudgetConfig = Record<string, BudgetLimits>;

export const DEFAULT_BURST_SHARE = 0.25;

const limitsSchema = z.object({
  tokensPerMinute: z.number().int().positive().optional(),
  requestsPerMinute: z.number().int().positive().optional(),
  burstShare: z.number().gt(0).max(1).optional(),
});

export const budgetConfigSchema = z.record(z.string().min(1), limitsSchema);

export class BudgetConfigError extends Error {
  override name = "BudgetConfigError";
}

/** Parses budgets from JSON text (the `OVERTIME_BUDGETS` variable); empty text = no budgets. */
export function parseBudgets(text: string | undefined): BudgetConfig {
  if (!text?.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BudgetConfigError(
      'Budgets must be JSON like {"gpt-4o-mini":{"tokensPerMinute":200000,"requestsPerMinute":500}}.',
    );
  }
  const parsed = budgetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new BudgetConfigError(`Invalid budgets: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** A bucket: `capacity` at most, refilled by `refillPerSecond` every second. */
export interface BucketShape {
  limitPerMinute: number;
  capacity: number;
  refillPerSecond: number;
}

export function bucketShape(limitPerMinute: number, burstShare = DEFAULT_BURST_SHARE): BucketShape {
  const capacity = Math.max(1, Math.floor(limitPerMinute * burstShare));
  const refillPerSecond = Math.max(1, Math.floor((limitPerMinute - capacity) / 60));
  return { limitPerMinute, capacity, refillPerSecond };
}
