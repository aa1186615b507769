import type { VirtualClock } from "./clock";
import type { FlowControlSettings } from "./headers";
import type { Store } from "./store";

/** A slot taken while a delivery is in flight. */
export interface FlowControlState {
  acquire(): void;
  release(): void;
}

/**
 * Why a due message cannot start: `held` = paused or rate-limited (waits for an outside event or time);
 * `busy` = a parallelism slot is taken by a delivery in flight (starts when that one ends).
 */
export type GateRefusal = "held" | "busy";

interface PersistedKey {
  paused?: boolean;
  pinnedParallelism?: number;
  pinnedRate?: number;
  pinnedPeriod?: number;
  /** The settings of the last message seen with this key (what the key runs with unless pinned). */
  last?: FlowControlSettings;
}

interface RateWindow {
  start: number;
  count: number;
}

/**
 * Flow control per key: at most `parallelism` deliveries in flight and at most `rate` delivery starts per
 * `period` seconds (virtual clock). Everything lives in Redis (`fc:<key>` settings, `fc:<key>:active` = message
 * ids in flight, `fc:<key>:rate` = current window), so limits hold across restarts and processes.
 */
export class FlowControls {
  constructor(
    private readonly store: Store,
    private readonly clock: VirtualClock,
  ) {}

  private activeKey(key: string) {
    return this.store.key("fc", key, "active");
  }
  private rateKey(key: string) {
    return this.store.key("fc", key, "rate");
  }

  async persisted(key: string): Promise<PersistedKey> {
    return (await this.store.getJson<PersistedKey>(this.store.key("fc", key))) ?? {};
  }

  async update(key: string, change: (current: PersistedKey) => PersistedKey): Promise<void> {
    await this.store.setJson(this.store.key("fc", key), change(await this.persisted(key)));
    await this.store.redis.sadd(this.store.key("fc-keys"), key);
  }

  /** Message ids holding a parallelism slot; slots of deliveries no longer in flight are released here. */
  private async inFlight(key: string): Promise<string[]> {
    const holders: string[] = [];
    for (const id of await this.store.redis.smembers(this.activeKey(key))) {
      if (await this.store.redis.hexists(this.store.inflightKey, `m:${id}`)) holders.push(id);
      else await this.store.redis.srem(this.activeKey(key), id);
    }
    return holders;
  }

  private async rateWindow(key: string, periodMs: number): Promise<RateWindow> {
    const raw = await this.store.redis.hgetall(this.rateKey(key));
    const now = this.clock.now();
    const window = { start: Number(raw.start ?? 0), count: Number(raw.count ?? 0) };
    if (now - window.start >= periodMs) {
      await this.store.redis.hset(this.rateKey(key), "start", String(now), "count", "0");
      return { start: now, count: 0 };
    }
    return window;
  }

  async gate(settings: FlowControlSettings, messageId: string): Promise<FlowControlState | GateRefusal> {
    const key = settings.key;
    const persisted = await this.persisted(key);
    if (JSON.stringify(persisted.last) !== JSON.stringify(settings)) {
      await this.update(key, (current) => ({ ...current, last: settings }));
    }
    if (persisted.paused) return "held";
    const parallelism = persisted.pinnedParallelism ?? settings.parallelism;
    const rate = persisted.pinnedRate ?? settings.rate;
    const periodMs = (persisted.pinnedPeriod ?? settings.period ?? 1) * 1000;
    if (parallelism !== undefined && parallelism > 0 && (await this.inFlight(key)).length >= parallelism) {
      return "busy";
    }
    if (rate !== undefined && rate > 0 && (await this.rateWindow(key, periodMs)).count >= rate) return "held";
    const active = this.activeKey(key);
    const rateKey = this.rateKey(key);
    const redis = this.store.redis;
    return {
      acquire: () => {
        void redis
          .multi()
          .sadd(active, messageId)
          .hincrby(rateKey, "count", 1)
          .exec()
          .catch(() => undefined);
      },
      release: () => {
        void redis.srem(active, messageId).catch(() => undefined);
      },
    };
  }

  async resetRate(key: string): Promise<void> {
    await this.store.redis.hset(this.rateKey(key), "start", String(this.clock.now()), "count", "0");
  }

  async view(key: string, waitListSize: number): Promise<Record<string, unknown>> {
    const persisted = await this.persisted(key);
    const window = await this.store.redis.hgetall(this.rateKey(key));
    return {
      flowControlKey: key,
      waitListSize,
      parallelismMax: persisted.pinnedParallelism ?? persisted.last?.parallelism ?? 0,
      parallelismCount: (await this.inFlight(key)).length,
      rateMax: persisted.pinnedRate ?? persisted.last?.rate ?? 0,
      rateCount: Number(window.count ?? 0),
      ratePeriod: persisted.pinnedPeriod ?? persisted.last?.period ?? 1,
      ratePeriodStart: Number(window.start ?? 0),
      isPaused: persisted.paused ?? false,
      isPinnedParallelism: persisted.pinnedParallelism !== undefined,
      isPinnedRate: persisted.pinnedRate !== undefined,
    };
  }

  async allKeys(): Promise<string[]> {
    return this.store.redis.smembers(this.store.key("fc-keys"));
  }

  async totalInFlight(): Promise<number> {
    let total = 0;
    for (const key of await this.allKeys()) total += (await this.inFlight(key)).length;
    return total;
  }
}
