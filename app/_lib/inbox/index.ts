import type { Redis } from "@upstash/redis";
import { storedJson } from "overtime";
import { z } from "zod";

/** Recipients and message ids end up in Redis keys; anything printable goes, encoded. */
const key = z.string().min(1).max(200);

export const inboxMessageInput = z.object({
  /** Caller-chosen id: sending the same id twice stores one message (safe under step retries). */
  id: key,
  subject: z.string().min(1).max(300),
  body: z.string().max(20_000).default(""),
  /** Free-form category, e.g. "welcome", "reminder", "discovery". */
  kind: z.string().max(50).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type InboxMessageInput = z.input<typeof inboxMessageInput>;

export interface InboxMessage extends z.output<typeof inboxMessageInput> {
  recipient: string;
  /** When the message was first sent, ms. */
  sentAt: number;
}

export interface InboxOptions {
  prefix?: string;
  /** Each recipient's inbox expires this long after its last message (default 90 days). */
  retentionDays?: number;
}

/**
 * An in-app inbox per recipient in Redis: a hash of messages by id plus a sorted set by send time.
 * `send` is idempotent per message id and costs one request (one pipeline).
 */
export class Inbox {
  private readonly prefix: string;
  private readonly retentionSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: InboxOptions = {},
  ) {
    this.prefix = options.prefix ?? "ot";
    this.retentionSeconds = (options.retentionDays ?? 90) * 86_400;
  }

  /** Stores the message unless one with the same id exists; returns the stored one and whether it is new. */
  async send(
    recipient: string,
    input: InboxMessageInput,
  ): Promise<{ message: InboxMessage; created: boolean }> {
    key.parse(recipient);
    const message: InboxMessage = { ...inboxMessageInput.parse(input), recipient, sentAt: Date.now() };
    const { messages, index } = this.keys(recipient);
    const [created, , stored] = (await this.redis
      .pipeline()
      .hsetnx(messages, message.id, JSON.stringify(message))
      .zadd(index, { nx: true }, { score: message.sentAt, member: message.id })
      .hget(messages, message.id)
      .expire(messages, this.retentionSeconds)
      .expire(index, this.retentionSeconds)
      .exec()) as [number, unknown, unknown];
    return { message: parseMessage(stored), created: created === 1 };
  }

  /** Newest first. */
  async list(recipient: string, { limit = 50 }: { limit?: number } = {}): Promise<InboxMessage[]> {
    const { messages, index } = this.keys(recipient);
    const ids = await this.redis.zrange<string[]>(index, 0, limit - 1, { rev: true });
    if (ids.length === 0) return [];
    const stored = await this.redis.hmget<Record<string, unknown>>(messages, ...ids.map(String));
    return ids
      .map((id) => stored?.[String(id)])
      .filter((value) => value != null)
      .map(parseMessage);
  }

  private keys(recipient: string) {
    const base = `${this.prefix}:inbox:${encodeURIComponent(recipient)}`;
    return { messages: `${base}:messages`, index: `${base}:index` };
  }
}

function parseMessage(value: unknown): InboxMessage {
  return storedJson<InboxMessage>(value);
}
