import { Redis } from "ioredis";

/** Moves a due member to the in-flight hash only if it is still due, so two processes never both deliver it. */
const CLAIM_SCRIPT = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  return 1
end
return 0`;

/** Puts an in-flight member back on the due-queue when its owner process is gone. */
const RECOVER_SCRIPT = `
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if not owner then return 0 end
if redis.call('EXISTS', ARGV[3] .. owner) == 1 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`;

/**
 * Publishes a workflow message atomically: appends its entry to the run's list, stores the message with its
 * list position (the `INDEX_SENTINEL` in the JSON is replaced), logs it and puts it on the due-queue.
 * KEYS: list, log, msg, msgs, due. ARGV: entryJson, logJson, msgJsonBefore, msgJsonAfter, messageId,
 * createdAt, dueScore, dueMember. Returns the position.
 */
const APPEND_AND_PERSIST_SCRIPT = `
local index = redis.call('RPUSH', KEYS[1], ARGV[1]) - 1
redis.call('HSET', KEYS[2], ARGV[5], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3] .. index .. ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[5])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[8])
return index`;

export const INDEX_SENTINEL = -424242424242;

/**
 * Deduplication on the virtual clock: returns the existing message id while its window (virtual ms) has not
 * passed, else records ours. ARGV: messageId, nowVirtual, expiresAtVirtual, real TTL ms for cleanup.
 */
const DEDUP_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  local id = string.sub(current, 1, sep - 1)
  local expires = tonumber(string.sub(current, sep + 1))
  if expires > tonumber(ARGV[2]) then return id end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'PX', ARGV[4])
return false`;

/**
 * All state lives in Redis under one prefix. Due-queue members are typed by a prefix:
 * `m:<messageId>` (message delivery), `w:<runId>:<eventId>` (wait timeout), `s:<scheduleId>` (schedule firing).
 */
export class Store {
  readonly redis: Redis;

  constructor(
    redisUrl: string,
    readonly prefix: string,
  ) {
    this.redis = new Redis(redisUrl, {
      maxRetriesPerRequest: null,
      lazyConnect: false,
      // Once abandoned, the next reconnect attempt gives up, which fails every queued command.
      retryStrategy: (attempt) => (this.abandoned ? null : Math.min(attempt * 50, 2_000)),
    });
    this.redis.on("error", () => {
      // ioredis reconnects on its own; the error is visible to callers of failing commands.
    });
  }

  private abandoned = false;

  /**
   * Stops reconnecting to a Redis that went away, so commands waiting for it fail (within one
   * reconnect delay) instead of waiting forever. `disconnect()` alone would leave them queued.
   */
  abandon(): void {
    this.abandoned = true;
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }

  get dueKey() {
    return this.key("due");
  }
  get inflightKey() {
    return this.key("inflight");
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async setJson(key: string, value: unknown): Promise<void> {
    await this.redis.set(key, JSON.stringify(value));
  }

  async claim(member: string, owner: string): Promise<boolean> {
    const result = await this.redis.eval(CLAIM_SCRIPT, 2, this.dueKey, this.inflightKey, member, owner);
    return result === 1;
  }

  async recover(member: string, score: number): Promise<boolean> {
    const result = await this.redis.eval(
      RECOVER_SCRIPT,
      2,
      this.dueKey,
      this.inflightKey,
      member,
      String(score),
      this.key("owner", ""),
    );
    return result === 1;
  }

  /** Returns the id of a live duplicate, or undefined after recording `messageId` for the window. */
  async deduplicate(
    dedupId: string,
    messageId: string,
    nowMs: number,
    windowMs: number,
  ): Promise<string | undefined> {
    const result = await this.redis.eval(
      DEDUP_SCRIPT,
      1,
      this.key("dedup", dedupId),
      messageId,
      String(nowMs),
      String(nowMs + windowMs),
      String(Math.max(windowMs, 86_400_000)),
    );
    return typeof result === "string" ? result : undefined;
  }

  async appendAndPersist(
    plan: { listKey: string; logKey: string; entryJson: string; logJson: string },
    messageId: string,
    messageJsonWithSentinel: string,
    createdAt: number,
    dueScore: number,
  ): Promise<number> {
    const marker = `"index":${INDEX_SENTINEL}`;
    const at = messageJsonWithSentinel.indexOf(marker);
    if (at < 0) throw new Error("message JSON has no index sentinel");
    const before = messageJsonWithSentinel.slice(0, at + '"index":'.length);
    const after = messageJsonWithSentinel.slice(at + marker.length);
    const result = await this.redis.eval(
      APPEND_AND_PERSIST_SCRIPT,
      5,
      plan.listKey,
      plan.logKey,
      this.key("msg", messageId),
      this.key("msgs"),
      this.dueKey,
      plan.entryJson,
      plan.logJson,
      before,
      after,
      messageId,
      String(createdAt),
      String(dueScore),
      `m:${messageId}`,
    );
    return Number(result);
  }

  async incrStats(fields: string[]): Promise<void> {
    if (fields.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const field of fields) pipeline.hincrby(this.key("stats"), field, 1);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    // QUIT would sit in ioredis's offline queue forever when Redis is already gone.
    if (this.redis.status !== "ready") {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
