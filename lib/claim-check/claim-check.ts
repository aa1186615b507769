import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Redis } from "@upstash/redis";
import { OvertimeError } from "../errors";

/** What the workflow history carries instead of a large step result. */
export interface ClaimTicket {
  "overtime:claim": { key: string; bytes: number; storedBytes: number };
}

export interface ClaimCheckOptions {
  redis: Redis;
  /** Key prefix, e.g. "ot:claim". */
  prefix: string;
  /** Results whose JSON is larger than this are stored in Redis (default 32 KiB). */
  thresholdBytes?: number;
  ttlSeconds: number;
  /** Decoded values kept in memory, so replays in a warm instance do not refetch (default 64 MiB). */
  cacheBytes?: number;
  /** Told how many Redis commands each write or batched read sent (for cost accounting). */
  onCommands?: (runId: string, commands: number) => void;
}

export const DEFAULT_CLAIM_THRESHOLD_BYTES = 32 * 1024;

export class ClaimNotFoundError extends OvertimeError {
  static override readonly code = "claim_not_found";
  constructor(key: string) {
    super(
      ClaimNotFoundError.code,
      `The large step result stored under "${key}" is gone (expired after the retention period, or deleted); ` +
        "the run cannot replay this step.",
    );
  }
}

/** How a claimed value is stored in Redis: gzip-compressed JSON, base64 (the REST API carries strings). */
export function packClaim(json: string): string {
  return gzipSync(json).toString("base64");
}

export function unpackClaim(stored: unknown): string {
  return gunzipSync(Buffer.from(String(stored), "base64")).toString("utf8");
}

export function isClaimTicket(value: unknown): value is ClaimTicket {
  return typeof value === "object" && value !== null && "overtime:claim" in value;
}

/**
 * Claim check for step results: a result above the threshold is gzip-compressed into Redis (TTL = run
 * retention) and the history carries a ~100-byte ticket. Every invocation replays every step, so
 * tickets are resolved only when a step's value is awaited, from an in-memory cache first, and all
 * tickets awaited in the same tick share one MGET.
 */
export class ClaimCheck {
  readonly thresholdBytes: number;
  private readonly cache: ByteBoundedCache;
  private pending = new Map<string, { runId: string; waiters: Array<Waiter> }>();
  private scheduled = false;

  constructor(private readonly options: ClaimCheckOptions) {
    this.thresholdBytes = options.thresholdBytes ?? DEFAULT_CLAIM_THRESHOLD_BYTES;
    this.cache = new ByteBoundedCache(options.cacheBytes ?? 64 * 1024 * 1024);
  }

  /** Stores `value` if it is large and returns its ticket; small values come back unchanged. */
  async checkIn(runId: string, value: unknown): Promise<unknown> {
    if (value === undefined) return value;
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json);
    if (bytes <= this.thresholdBytes) return value;
    // Keyed by content, not by step name: a name used again (a polling loop) must not overwrite the
    // value an earlier occurrence's ticket stands for, or its replay would see the latest result.
    const digest = createHash("sha256").update(json).digest("base64url").slice(0, 32);
    const key = `${this.options.prefix}:${encodeURIComponent(runId)}:${digest}`;
    const stored = packClaim(json);
    await this.options.redis.set(key, stored, { ex: this.options.ttlSeconds });
    this.options.onCommands?.(runId, 1);
    this.cache.set(key, JSON.parse(json), bytes);
    const ticket: ClaimTicket = { "overtime:claim": { key, bytes, storedBytes: stored.length } };
    return ticket;
  }

  /** The value a ticket stands for (anything else is returned as is). */
  async resolve(runId: string, value: unknown): Promise<unknown> {
    if (!isClaimTicket(value)) return value;
    const { key } = value["overtime:claim"];
    if (this.cache.has(key)) return this.cache.get(key);
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(key) ?? { runId, waiters: [] };
      entry.waiters.push({ resolve, reject });
      this.pending.set(key, entry);
      this.scheduleFetch();
    });
  }

  private scheduleFetch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.pending;
      this.pending = new Map();
      this.fetch(batch).catch(() => {});
    });
  }

  private async fetch(batch: Map<string, { runId: string; waiters: Waiter[] }>): Promise<void> {
    const keys = [...batch.keys()];
    let values: Array<string | null>;
    try {
      values = await this.options.redis.mget<Array<string | null>>(...keys);
    } catch (error) {
      for (const entry of batch.values()) for (const waiter of entry.waiters) waiter.reject(error);
      return;
    }
    const firstRun = batch.values().next().value?.runId;
    if (firstRun) this.options.onCommands?.(firstRun, 1);
    keys.forEach((key, index) => {
      const entry = batch.get(key) as { waiters: Waiter[] };
      const stored = values[index];
      if (stored === null || stored === undefined) {
        for (const waiter of entry.waiters) waiter.reject(new ClaimNotFoundError(key));
        return;
      }
      const json = unpackClaim(stored);
      const value = JSON.parse(json);
      this.cache.set(key, value, json.length);
      for (const waiter of entry.waiters) waiter.resolve(structuredClone(value));
    });
  }
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Least-recently-used values up to a total size; each read returns a copy so callers cannot mutate it. */
class ByteBoundedCache {
  private readonly entries = new Map<string, { value: unknown; bytes: number }>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return structuredClone(entry.value);
  }

  set(key: string, value: unknown, bytes: number): void {
    if (bytes > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) this.total -= previous.bytes;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }
}
