import type { VirtualClock } from "./clock";
import { badRequest } from "./errors";
import type { FlowControlState, GateRefusal } from "./flow-control";
import type { Store } from "./store";

export interface QueueRecord {
  name: string;
  createdAt: number;
  updatedAt: number;
  parallelism: number;
  paused: boolean;
}

/** Queues: FIFO delivery with at most `parallelism` messages active at a time (slots in Redis), pausable. */
export class Queues {
  constructor(
    private readonly store: Store,
    private readonly clock: VirtualClock,
  ) {}

  static validateName(name: string): void {
    if (!/^[a-zA-Z0-9\-_.]+$/.test(name)) throw badRequest(`invalid queue name: ${name}`);
  }

  async get(name: string): Promise<QueueRecord | undefined> {
    return this.store.getJson<QueueRecord>(this.store.key("queue", name));
  }

  async list(): Promise<QueueRecord[]> {
    const names = await this.store.redis.smembers(this.store.key("queues"));
    const records = await Promise.all(names.sort().map((name) => this.get(name)));
    return records.filter((r): r is QueueRecord => r !== undefined);
  }

  async upsert(
    name: string,
    change: Partial<Pick<QueueRecord, "parallelism" | "paused">>,
  ): Promise<QueueRecord> {
    Queues.validateName(name);
    const now = this.clock.now();
    const existing = await this.get(name);
    const record: QueueRecord = {
      name,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      parallelism: change.parallelism ?? existing?.parallelism ?? 1,
      paused: change.paused ?? existing?.paused ?? false,
    };
    if (record.parallelism < 1) record.parallelism = 1;
    await this.store.setJson(this.store.key("queue", name), record);
    await this.store.redis.sadd(this.store.key("queues"), name);
    return record;
  }

  async ensure(name: string): Promise<void> {
    if (!(await this.get(name))) await this.upsert(name, {});
  }

  async remove(name: string): Promise<boolean> {
    const removed = await this.store.redis.srem(this.store.key("queues"), name);
    await this.store.redis.del(this.store.key("queue", name), this.activeKey(name));
    return removed === 1;
  }

  private activeKey(name: string) {
    return this.store.key("queue", name, "active");
  }

  /**
   * FIFO with parallelism (QStash docs): a queue message holds its slot from its first attempt until it is
   * DELIVERED or FAILED, so the next message also waits for the retries of the current one. Slots live in
   * Redis (a set of message ids per queue), so they survive restarts and are shared between processes.
   */
  async gate(name: string, messageId: string): Promise<FlowControlState | GateRefusal> {
    const queue = await this.get(name);
    if (queue?.paused) return "held";
    const active = this.activeKey(name);
    if (!(await this.store.redis.sismember(active, messageId))) {
      const holders: string[] = [];
      for (const id of await this.store.redis.smembers(active)) {
        // A slot whose message no longer exists (cancelled elsewhere, crash) is released here.
        if (await this.store.redis.exists(this.store.key("msg", id))) holders.push(id);
        else await this.store.redis.srem(active, id);
      }
      if (holders.length >= (queue?.parallelism ?? 1)) {
        // Waiting behind a delivery in flight ends soon; behind a scheduled retry it waits for time.
        const inFlight = await Promise.all(
          holders.map((id) => this.store.redis.hexists(this.store.inflightKey, `m:${id}`)),
        );
        return inFlight.some((flag) => flag === 1) ? "busy" : "held";
      }
    }
    return {
      acquire: () => void this.store.redis.sadd(active, messageId).catch(() => undefined),
      release: () => undefined,
    };
  }

  async holdsSlot(name: string, messageId: string): Promise<boolean> {
    return (await this.store.redis.sismember(this.activeKey(name), messageId)) === 1;
  }

  /** Gives a slot to a message outside the queue (the final callback of a queue message). */
  async takeSlot(name: string, messageId: string): Promise<void> {
    await this.store.redis.sadd(this.activeKey(name), messageId);
  }

  /** Frees the message's slot (final outcome or cancellation). */
  async releaseSlot(name: string, messageId: string): Promise<void> {
    await this.store.redis.srem(this.activeKey(name), messageId);
  }
}
