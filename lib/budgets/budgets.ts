import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { type BucketShape, type BudgetConfig, type BudgetLimits, bucketShape } from "./config";

/** What a turn asks of a budget before calling the model. */
export interface ReservationRequest {
  model: string;
  tenant?: string;
  tokens: number;
}

export type Reservation =
  | { granted: true; key: string; tokens: number; requests: number }
  | { granted: false; key: string; retryAfterMs: number; reason: "tokens" | "requests" };

export interface BucketStatus {
  limitPerMinute: number;
  capacity: number;
  refillPerSecond: number;
  remaining: number;
  /** When the bucket next refills (epoch ms). */
  resetAt: number;
}

export interface BudgetStatus {
  key: string;
  model: string;
  tenant?: string;
  tokens?: BucketStatus;
  requests?: BucketStatus;
}

interface Bucket {
  shape: BucketShape;
  limiter: Ratelimit;
}

interface ModelBuckets {
  tokens?: Bucket;
  requests?: Bucket;
}

/** Redis commands one ratelimit call sends (EVALSHA; a cold script cache adds an EVAL we cannot see). */
export const COMMANDS_PER_LIMIT_CALL = 1;

/**
 * Token and request budgets per model (and tenant), on @upstash/ratelimit token buckets in Redis.
 * Every process shares them, so N concurrent runs together stay under the provider's limits.
 */
export class Budgets {
  private readonly buckets = new Map<string, ModelBuckets>();

  constructor(
    private readonly redis: Redis,
    readonly config: BudgetConfig,
    private readonly prefix: string,
  ) {
    for (const [model, limits] of Object.entries(config)) this.buckets.set(model, this.createBuckets(limits));
  }

  has(model: string): boolean {
    return this.buckets.has(model);
  }

  /** Budget identity: the model, or the model and tenant. */
  keyFor(model: string, tenant?: string): string {
    return tenant ? `${model}:${tenant}` : model;
  }

  /**
   * Takes `tokens` (clamped to the bucket's capacity, the rest is charged at reconcile) and one request.
   * Denied reservations take nothing.
   */
  async reserve(request: ReservationRequest): Promise<Reservation> {
    const key = this.keyFor(request.model, request.tenant);
    const buckets = this.bucketsOf(request.model);
    const tokens = buckets.tokens ? Math.min(request.tokens, buckets.tokens.shape.capacity) : 0;
    if (buckets.tokens) {
      const taken = await buckets.tokens.limiter.limit(key, { rate: tokens });
      if (!taken.success) {
        const retryAfterMs = waitFor(buckets.tokens.shape, tokens - taken.remaining, taken.reset);
        return { granted: false, key, retryAfterMs, reason: "tokens" };
      }
    }
    if (buckets.requests) {
      const taken = await buckets.requests.limiter.limit(key, { rate: 1 });
      if (!taken.success) {
        if (tokens > 0) await buckets.tokens?.limiter.limit(key, { rate: -tokens });
        const retryAfterMs = waitFor(buckets.requests.shape, 1, taken.reset);
        return { granted: false, key, retryAfterMs, reason: "requests" };
      }
    }
    await this.redis.sadd(this.indexKey(), key);
    return { granted: true, key, tokens, requests: 1 };
  }

  /**
   * Settles a reservation with what the call really used: refunds the difference, or charges it.
   * A charge the bucket cannot cover right now is returned as debt, for the run's next reservation.
   */
  async reconcile(
    model: string,
    tenant: string | undefined,
    reserved: number,
    used: number,
  ): Promise<number> {
    const bucket = this.bucketsOf(model).tokens;
    const difference = used - reserved;
    if (!bucket || difference === 0) return 0;
    const result = await bucket.limiter.limit(this.keyFor(model, tenant), { rate: difference });
    return difference > 0 && !result.success ? difference : 0;
  }

  /** Every configured budget, plus every tenant budget used so far. */
  async status(): Promise<BudgetStatus[]> {
    const used = (await this.redis.smembers(this.indexKey())) as string[];
    const keys = new Set([...this.buckets.keys(), ...used]);
    const statuses: BudgetStatus[] = [];
    for (const key of [...keys].sort()) {
      const model = this.modelOf(key);
      if (!model) continue;
      const tenant = key === model ? undefined : key.slice(model.length + 1);
      const buckets = this.bucketsOf(model);
      statuses.push({
        key,
        model,
        ...(tenant && { tenant }),
        ...(buckets.tokens && { tokens: await bucketStatus(buckets.tokens, key) }),
        ...(buckets.requests && { requests: await bucketStatus(buckets.requests, key) }),
      });
    }
    return statuses;
  }

  private modelOf(key: string): string | undefined {
    if (this.buckets.has(key)) return key;
    return [...this.buckets.keys()].find((model) => key.startsWith(`${model}:`));
  }

  private bucketsOf(model: string): ModelBuckets {
    return this.buckets.get(model) ?? {};
  }

  private indexKey(): string {
    return `${this.prefix}:keys`;
  }

  private createBuckets(limits: BudgetLimits): ModelBuckets {
    const bucket = (kind: string, limit: number | undefined): Bucket | undefined => {
      if (!limit) return undefined;
      const shape = bucketShape(limit, limits.burstShare);
      const limiter = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.tokenBucket(shape.refillPerSecond, "1 s", shape.capacity),
        prefix: `${this.prefix}:${kind}`,
        // A local cache would keep denying after another process refunded tokens.
        ephemeralCache: false,
        analytics: false,
      });
      return { shape, limiter };
    };
    return {
      tokens: bucket("tokens", limits.tokensPerMinute),
      requests: bucket("requests", limits.requestsPerMinute),
    };
  }
}

/** How long until the bucket holds `missing` more tokens: whole refills, at least until the next one. */
function waitFor(shape: BucketShape, missing: number, nextRefillAt: number): number {
  const untilNextRefill = Math.max(0, nextRefillAt - Date.now());
  const extraRefills = Math.max(0, Math.ceil(missing / shape.refillPerSecond) - 1);
  return untilNextRefill + extraRefills * 1_000;
}

async function bucketStatus(bucket: Bucket, key: string): Promise<BucketStatus> {
  const { remaining, reset } = await bucket.limiter.getRemaining(key);
  return { ...bucket.shape, remaining, resetAt: reset };
}
