import type { Store } from "./store";

/**
 * The stand-in's virtual clock: real time plus an offset that only grows (`POST /__dev/clock/advance`).
 * Everything that waits (delays, retries, sleeps, schedules, wait timeouts) is measured on it; JWT times are not.
 * The offset is persisted so a restart keeps the same virtual time.
 */
export class VirtualClock {
  private offsetMs = 0;

  constructor(private readonly store: Store) {}

  private get key() {
    return this.store.key("clock", "offset");
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  get offset(): number {
    return this.offsetMs;
  }

  async load(): Promise<void> {
    const raw = await this.store.redis.get(this.key);
    const stored = raw === null ? 0 : Number(raw);
    if (Number.isFinite(stored) && stored > this.offsetMs) this.offsetMs = stored;
  }

  async advanceBy(ms: number): Promise<void> {
    await this.load();
    this.offsetMs += Math.max(0, ms);
    await this.store.redis.set(this.key, String(this.offsetMs));
  }

  async advanceTo(epochMs: number): Promise<void> {
    await this.advanceBy(epochMs - this.now());
  }
}
