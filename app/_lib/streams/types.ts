import { z } from "zod";

/** Stream ids end up in Redis keys, URLs and tool arguments, so they stay boring. */
export const streamId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "lower-case letters, digits, '.', '_' or '-' (at most 100)");

/** One observation: `t` is a Unix timestamp in milliseconds (UTC), `v` a finite number. */
export const point = z.object({ t: z.number().int(), v: z.number() });
export type Point = z.infer<typeof point>;

export const streamMeta = z.object({
  id: streamId,
  name: z.string().min(1).max(200),
  unit: z.string().max(50).optional(),
  description: z.string().max(2000).optional(),
  /** Where the numbers come from (dataset, sensor, API), for citing them. */
  source: z.string().max(500).optional(),
});
export type StreamMeta = z.infer<typeof streamMeta>;

export interface StreamSummary extends StreamMeta {
  count: number;
  /** Timestamps (ms) of the first and last points; absent when the stream is empty. */
  firstAt?: number;
  lastAt?: number;
}

export interface RangeQuery {
  /** Inclusive bounds, ms. */
  from?: number;
  to?: number;
  /** At most this many points, oldest first. */
  limit?: number;
}

export interface AppendResult {
  added: number;
  /** Points whose timestamp already held another value (the new value wins). */
  replaced: number;
}

/**
 * Where time series live. A stream holds at most one value per timestamp; appending a point that is
 * already stored changes nothing, so loaders can re-run safely. Implement this to plug in your own
 * source; `RedisStreamStore` is the default, `MemoryStreamStore` the reference for tests.
 */
export interface StreamStore {
  /** Creates or updates a stream's description (its points are kept). */
  defineStream(meta: StreamMeta): Promise<void>;
  listStreams(): Promise<StreamSummary[]>;
  /** Throws `StreamNotFoundError` for an undefined stream. */
  append(id: string, points: readonly Point[]): Promise<AppendResult>;
  /** Points in [from, to], oldest first. Throws `StreamNotFoundError` for an undefined stream. */
  range(id: string, query?: RangeQuery): Promise<Point[]>;
  /** The latest `count` points, oldest first. Throws `StreamNotFoundError` for an undefined stream. */
  recent(id: string, count: number): Promise<Point[]>;
}

export class StreamNotFoundError extends Error {
  override name = "StreamNotFoundError";
  constructor(readonly streamId: string) {
    super(`No stream "${streamId}". List the streams to see which exist.`);
  }
}

export class InvalidPointError extends Error {
  override name = "InvalidPointError";
}

/** Validates points before they reach a store (a NaN would otherwise poison every statistic). */
export function checkPoints(points: readonly Point[]): void {
  for (const p of points) {
    if (!Number.isSafeInteger(p.t) || !Number.isFinite(p.v)) {
      throw new InvalidPointError(
        `Invalid point ${JSON.stringify(p)}: t must be integer ms, v a finite number.`,
      );
    }
  }
}
