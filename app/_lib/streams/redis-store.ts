import type { Redis } from "@upstash/redis";
import { storedJson } from "overtime";
import {
  type AppendResult,
  checkPoints,
  type Point,
  type RangeQuery,
  type StreamMeta,
  StreamNotFoundError,
  type StreamStore,
  type StreamSummary,
  streamMeta,
} from "./types";

/**
 * Adds points to a stream's sorted set (score = timestamp, member = "<t>:<v>"), replacing any other
 * value at the same timestamp, and refuses an undefined stream. One EVAL per chunk: Upstash bills per
 * command, and this keeps "one value per timestamp" atomic without a read per point.
 * KEYS: stream set, meta hash. ARGV: stream id, then t1, member1, t2, member2, ...
 */
const APPEND_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return redis.error_reply('STREAM_NOT_FOUND') end
local added, replaced = 0, 0
for i = 2, #ARGV, 2 do
  local t, member = ARGV[i], ARGV[i + 1]
  local existing = redis.call('ZRANGEBYSCORE', KEYS[1], t, t)
  if #existing == 0 then
    redis.call('ZADD', KEYS[1], t, member)
    added = added + 1
  elseif existing[1] ~= member or #existing > 1 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], t, t)
    redis.call('ZADD', KEYS[1], t, member)
    replaced = replaced + 1
  end
end
return {added, replaced}
`;

/** Points per EVAL: bounds the script's argument list and each command's run time on the server. */
const CHUNK = 1_000;

export interface RedisStreamStoreOptions {
  /** Key prefix (default "ot", the run store's). */
  prefix?: string;
}

/** The default `StreamStore`: one Upstash Redis sorted set per stream plus one hash of descriptions. */
export class RedisStreamStore implements StreamStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: RedisStreamStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "ot";
  }

  async defineStream(meta: StreamMeta): Promise<void> {
    const valid = streamMeta.parse(meta);
    await this.redis.hset(this.metaKey(), { [valid.id]: JSON.stringify(valid) });
  }

  async listStreams(): Promise<StreamSummary[]> {
    const metas = Object.values((await this.redis.hgetall<Record<string, unknown>>(this.metaKey())) ?? {})
      .map(parseMeta)
      .sort((a, b) => a.id.localeCompare(b.id));
    if (metas.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const meta of metas) {
      const key = this.seriesKey(meta.id);
      pipeline.zcard(key).zrange(key, 0, 0).zrange(key, -1, -1);
    }
    const replies = (await pipeline.exec()) as unknown[];
    return metas.map((meta, i) => {
      const [count, first, last] = replies.slice(i * 3, i * 3 + 3) as [number, unknown[], unknown[]];
      return {
        ...meta,
        count,
        firstAt: first[0] === undefined ? undefined : decodeMember(first[0]).t,
        lastAt: last[0] === undefined ? undefined : decodeMember(last[0]).t,
      };
    });
  }

  async append(id: string, points: readonly Point[]): Promise<AppendResult> {
    checkPoints(points);
    const pipeline = this.redis.pipeline();
    for (const chunk of chunks(latestPerTimestamp(points), CHUNK)) {
      const args = [id, ...chunk.flatMap((p) => [String(p.t), encodeMember(p)])];
      pipeline.eval(APPEND_SCRIPT, [this.seriesKey(id), this.metaKey()], args);
    }
    if (points.length === 0) pipeline.hexists(this.metaKey(), id);
    const replies = await this.execOrNotFound(pipeline, id);
    if (points.length === 0) {
      if (replies[0] === 0) throw new StreamNotFoundError(id);
      return { added: 0, replaced: 0 };
    }
    return (replies as Array<[number, number]>).reduce(
      (sum, [added, replaced]) => ({ added: sum.added + added, replaced: sum.replaced + replaced }),
      { added: 0, replaced: 0 },
    );
  }

  async range(id: string, { from, to, limit }: RangeQuery = {}): Promise<Point[]> {
    const min = from ?? "-inf";
    const max = to ?? "+inf";
    const paging = limit === undefined ? {} : { offset: 0, count: limit };
    const pipeline = this.redis.pipeline().hexists(this.metaKey(), id);
    pipeline.zrange(this.seriesKey(id), min, max, { byScore: true, ...paging });
    return this.membersOf(id, await pipeline.exec());
  }

  async recent(id: string, count: number): Promise<Point[]> {
    const pipeline = this.redis.pipeline().hexists(this.metaKey(), id);
    // ZRANGE -0 -1 would be the whole set, so a count of 0 only checks that the stream exists.
    if (count > 0) pipeline.zrange(this.seriesKey(id), -count, -1);
    return this.membersOf(id, await pipeline.exec());
  }

  private membersOf(id: string, [exists, members = []]: unknown[]): Point[] {
    if (exists === 0) throw new StreamNotFoundError(id);
    return (members as unknown[]).map(decodeMember);
  }

  private async execOrNotFound(pipeline: ReturnType<Redis["pipeline"]>, id: string): Promise<unknown[]> {
    try {
      return await pipeline.exec();
    } catch (error) {
      if (error instanceof Error && error.message.includes("STREAM_NOT_FOUND"))
        throw new StreamNotFoundError(id);
      throw error;
    }
  }

  private metaKey(): string {
    return `${this.prefix}:streams`;
  }

  private seriesKey(id: string): string {
    return `${this.prefix}:stream:${encodeURIComponent(id)}`;
  }
}

function encodeMember({ t, v }: Point): string {
  return `${t}:${v}`;
}

/** Members come back as strings; @upstash/redis would turn a member that looks like JSON into a number. */
function decodeMember(member: unknown): Point {
  const text = String(member);
  const colon = text.indexOf(":");
  return { t: Number(text.slice(0, colon)), v: Number(text.slice(colon + 1)) };
}

function parseMeta(value: unknown): StreamMeta {
  return streamMeta.parse(storedJson(value));
}

/** Within one batch the last value for a timestamp wins, as it would across batches. */
function latestPerTimestamp(points: readonly Point[]): Point[] {
  return [...new Map(points.map((p) => [p.t, p])).values()];
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
