import type { VirtualClock } from "./clock";
import type { Store } from "./store";

/** `held`: paused or rate-limited; `busy`: waits for a parallelism slot held by a delivery in flight. */
export type DueResult = "started" | "skipped" | "held" | "busy";

export interface DueHandler {
  /** Called before each pass over the due members. */
  beginTick(): void;
  /** Called for each due member in score order. */
  handleDue(member: string, score: number): Promise<DueResult>;
}

const IDLE_POLL_MS = 1000;
const BATCH = 500;
const MAX_PAGES = 20;
const BLOCKED_POLL_MS = 200;

/**
 * The due-queue is a Redis sorted set scored by virtual due time. The loop wakes at the next due time (at most
 * every second, to notice other processes' work), on publish and on clock advance.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly clock: VirtualClock,
    private readonly handler: DueHandler,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.wake();
  }

  /** Stops the loop and resolves once a tick in progress has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Runs a tick as soon as possible (coalesced). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Runs one tick now and resolves when it is done (used by clock advance). */
  async tickNow(): Promise<void> {
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.rerun = false;
    try {
      await this.clock.load();
      await this.dispatchDue();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.rerun) {
      this.wake();
      return;
    }
    await this.armTimer().catch((error) => {
      this.onError(error);
      this.timer = setTimeout(() => void this.tick(), IDLE_POLL_MS);
    });
  }

  /** Due members the last tick held back (paused queue / flow-control key, or rate limit). */
  blocked = new Set<string>();

  private async dispatchDue(): Promise<void> {
    const now = this.clock.now();
    const blocked = new Set<string>();
    this.handler.beginTick();
    // Started members leave the due-queue; the ones that must wait stay, so the next page starts after them.
    let waiting = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const due = await this.store.redis.zrangebyscore(
        this.store.dueKey,
        "-inf",
        now,
        "WITHSCORES",
        "LIMIT",
        waiting,
        BATCH,
      );
      for (let i = 0; i + 1 < due.length; i += 2) {
        if (this.stopped) return;
        const member = due[i] as string;
        const result = await this.handler.handleDue(member, Number(due[i + 1]));
        if (result === "held") blocked.add(member);
        if (result === "held" || result === "busy") waiting++;
      }
      if (due.length < BATCH * 2) break;
    }
    this.blocked = blocked;
  }

  private async armTimer(): Promise<void> {
    if (this.stopped) return;
    const next = await this.nextDueAt();
    const now = this.clock.now();
    // A due member still queued after a tick is gated (queue/flow-control limits); completions call wake().
    const wait =
      next === null ? IDLE_POLL_MS : next <= now ? BLOCKED_POLL_MS : Math.min(IDLE_POLL_MS, next - now);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), wait);
  }

  async nextDueAt(): Promise<number | null> {
    const first = await this.store.redis.zrange(this.store.dueKey, "0", "0", "WITHSCORES");
    return first.length >= 2 ? Number(first[1]) : null;
  }
}
