import { randomBytes } from "node:crypto";
import type { VirtualClock } from "./clock";
import { DEDUP_WINDOW_MS, type PlanLimits } from "./constants";
import { type DeliveryOutcome, deliver } from "./delivery";
import { QStashHttpError } from "./errors";
import { type FlowControlState, FlowControls } from "./flow-control";
import type { HeaderMap } from "./headers";
import { buildMessage, derivedHeaders, isTruthy, type PublishInput, type StoredMessage } from "./message";
import { Queues } from "./queues";
import { buildDlqEntry, buildEvent, callbackBody, type DlqEntry } from "./records";
import { retryAfterMs, retryDelayMs } from "./retry";
import type { DueResult } from "./scheduler";
import { Scheduler } from "./scheduler";
import type { Schedules } from "./schedules";
import { INDEX_SENTINEL, type Store } from "./store";
import { Topics } from "./topics";
import { type AppendPlan, Runs } from "./workflow/runs";

export type { DlqEntry } from "./records";

export interface PublishResult {
  messageId: string;
  deduplicated?: boolean;
}

export interface EngineOptions {
  store: Store;
  clock: VirtualClock;
  signingKey: string;
  limits: PlanLimits;
  baseUrl: () => string;
  log: (line: string) => void;
}

const HEARTBEAT_MS = 2000;
const OWNER_TTL_S = 8;

/** Publishing, the due-queue dispatch, deliveries and their outcomes (retries, callbacks, DLQ). */
export class Engine {
  readonly store: Store;
  readonly clock: VirtualClock;
  readonly scheduler: Scheduler;
  readonly runs: Runs;
  readonly queues: Queues;
  readonly flow: FlowControls;
  readonly topics: Topics;
  schedules: Schedules | undefined;
  private readonly ownerId = `p${randomBytes(6).toString("hex")}`;
  /** HTTP calls that close() may abort (until their response arrives). */
  private readonly active = new Map<string, AbortController>();
  private readonly deliveries = new Set<Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private lastDueScore = 0;
  private queuesRefusedThisTick = new Map<string, "held" | "busy">();
  private stopped = false;

  constructor(readonly options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.queues = new Queues(this.store, this.clock);
    this.flow = new FlowControls(this.store, this.clock);
    this.topics = new Topics(this.store, this.clock);
    this.runs = new Runs(this);
    this.scheduler = new Scheduler(this.store, this.clock, this, (error) =>
      this.log(`scheduler error: ${(error as Error).stack ?? String(error)}`),
    );
  }

  log(line: string): void {
    try {
      this.options.log(line);
    } catch {
      // A throwing log sink must not break deliveries.
    }
  }

  async start(): Promise<void> {
    await this.clock.load();
    await this.beat();
    this.heartbeat = setInterval(() => {
      void this.beat().catch(() => undefined);
      void this.recoverOrphans().catch(() => undefined);
    }, HEARTBEAT_MS);
    await this.recoverOrphans();
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.scheduler.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const controller of this.active.values()) controller.abort();
    // Deliveries whose response already arrived finish recording their outcome first.
    await Promise.allSettled([...this.deliveries]);
    // Deliveries that were cut short go back on the due-queue for the next process (or restart).
    const members = await this.store.redis.hgetall(this.store.inflightKey);
    const now = this.clock.now();
    const pipeline = this.store.redis.pipeline();
    for (const [member, owner] of Object.entries(members)) {
      if (owner !== this.ownerId) continue;
      pipeline.hdel(this.store.inflightKey, member);
      pipeline.zadd(this.store.dueKey, now, member);
    }
    pipeline.del(this.store.key("owner", this.ownerId));
    await pipeline.exec();
  }

  private async beat(): Promise<void> {
    await this.store.redis.set(this.store.key("owner", this.ownerId), "1", "EX", OWNER_TTL_S);
  }

  /** In-flight claims whose process is gone (crash, kill -9) are put back on the due-queue. */
  private async recoverOrphans(): Promise<void> {
    const members = await this.store.redis.hgetall(this.store.inflightKey);
    let recovered = 0;
    for (const [member, owner] of Object.entries(members)) {
      if (owner === this.ownerId) continue;
      if (await this.store.recover(member, this.clock.now())) recovered++;
    }
    if (recovered > 0) {
      this.log(`recovered ${recovered} interrupted deliveries`);
      this.scheduler.wake();
    }
  }

  // ---------------------------------------------------------------- publishing

  /** Parses publish headers into a message and publishes it. */
  async publishInput(input: PublishInput): Promise<PublishResult> {
    this.checkSize(input.body.length);
    return this.publish(buildMessage({ ...input, limits: this.limits }));
  }

  /** Publishes to a URL, or fans out to every endpoint of a URL group (topic). */
  async publishToDestination(
    destination: string,
    input: Omit<PublishInput, "destination" | "nowMs">,
  ): Promise<PublishResult | (PublishResult & { url: string })[]> {
    this.checkSize(input.body.length);
    if (input.queueName) await this.queues.ensure(input.queueName);
    const nowMs = this.clock.now();
    if (/^https?:\/\//i.test(destination)) return this.publishInput({ ...input, destination, nowMs });
    const topic = /^[a-zA-Z0-9\-_.]+$/.test(destination) ? await this.topics.get(destination) : undefined;
    if (!topic) {
      if (/^[a-zA-Z0-9\-_.]+$/.test(destination))
        throw new QStashHttpError(404, `topic ${destination} not found`);
      throw new QStashHttpError(
        400,
        "invalid destination url: endpoint has invalid scheme, add http:// or https://",
      );
    }
    // Validate once before publishing to any endpoint, so a bad header publishes nothing.
    const first = topic.endpoints[0];
    if (first) buildMessage({ ...input, destination: first.url, nowMs, limits: this.limits });
    const results: (PublishResult & { url: string })[] = [];
    for (const endpoint of topic.endpoints) {
      const result = await this.publish(
        buildMessage({
          ...input,
          destination: endpoint.url,
          nowMs,
          limits: this.limits,
          topicName: topic.name,
          ...(endpoint.name ? { endpointName: endpoint.name } : {}),
        }),
      );
      results.push({ ...result, url: endpoint.url });
    }
    return results;
  }

  get limits(): PlanLimits {
    return this.options.limits;
  }

  get maxMessageBytes(): number {
    return this.options.limits.maxMessageBytes;
  }

  checkSize(bytes: number): void {
    if (bytes > this.maxMessageBytes) {
      throw new QStashHttpError(
        413,
        `message size exceeds the max message size of ${this.maxMessageBytes} bytes allowed for your plan (got ${bytes} bytes)`,
      );
    }
  }

  async publish(message: StoredMessage): Promise<PublishResult> {
    if (message.deduplicationId) {
      const existing = await this.store.deduplicate(
        message.deduplicationId,
        message.messageId,
        this.clock.now(),
        DEDUP_WINDOW_MS,
      );
      if (existing) return { messageId: existing, deduplicated: true };
    }
    let append: AppendPlan | undefined;
    if (message.workflow) {
      try {
        const attached = await this.runs.attach(message);
        if (attached.deduplicated)
          return { messageId: attached.messageId ?? message.messageId, deduplicated: true };
        append = attached.append;
      } catch (error) {
        if (message.deduplicationId)
          await this.store.redis.del(this.store.key("dedup", message.deduplicationId));
        throw error;
      }
    }
    await this.persist(message, append);
    await this.store.incrStats(["published", `byKind:${message.kind}`]);
    await this.event(message, "CREATED");
    this.scheduler.wake();
    return { messageId: message.messageId };
  }

  /**
   * Due-queue score: publishes within the same millisecond get increasing fractions (1 µs apart), so messages
   * due at the same time are dispatched in publish order (queues are FIFO).
   */
  private dueScore(dueAt: number): number {
    const score = Math.floor(dueAt) === Math.floor(this.lastDueScore) ? this.lastDueScore + 0.001 : dueAt;
    if (score > this.lastDueScore) this.lastDueScore = score;
    return score;
  }

  private async persist(message: StoredMessage, append?: AppendPlan): Promise<void> {
    const dueAt = this.dueScore(Math.max(message.notBefore, message.createdAt));
    if (append && message.workflow) {
      // The run history entry and the message are written in one atomic step (no entry without its message).
      message.workflow.index = INDEX_SENTINEL;
      const index = await this.store.appendAndPersist(
        append,
        message.messageId,
        JSON.stringify(message),
        message.createdAt,
        dueAt,
      );
      message.workflow.index = index;
      return;
    }
    await this.store.redis
      .multi()
      .set(this.store.key("msg", message.messageId), JSON.stringify(message))
      .zadd(this.store.key("msgs"), message.createdAt, message.messageId)
      .zadd(this.store.dueKey, dueAt, `m:${message.messageId}`)
      .exec();
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    return this.store.getJson<StoredMessage>(this.store.key("msg", messageId));
  }

  /**
   * Removes messages waiting on the due-queue; returns how many were cancelled. A delivery already in flight
   * is not interrupted (QStash cannot recall a request either); it completes and is not retried for ended runs.
   */
  async cancelMessages(messageIds: string[]): Promise<number> {
    let cancelled = 0;
    for (const id of messageIds) {
      const removed = await this.store.redis.zrem(this.store.dueKey, `m:${id}`);
      if (removed === 0) continue;
      const message = await this.getMessage(id);
      if (message) await this.releaseQueueSlots(message);
      await this.store.redis.multi().del(this.store.key("msg", id)).zrem(this.store.key("msgs"), id).exec();
      if (message) await this.event(message, "CANCELLED");
      cancelled++;
    }
    return cancelled;
  }

  /** Ids of all pending messages (due or in flight), oldest first. */
  async pendingMessageIds(): Promise<string[]> {
    return this.store.redis.zrange(this.store.key("msgs"), "0", "-1");
  }

  // ---------------------------------------------------------------- dispatch

  beginTick(): void {
    this.queuesRefusedThisTick = new Map();
  }

  async handleDue(member: string, score: number): Promise<DueResult> {
    if (member.startsWith("m:")) return this.dispatchMessage(member);
    if (!(await this.store.claim(member, this.ownerId))) return "skipped";
    try {
      if (member.startsWith("w:")) await this.runs.handleWaitTimeout(member.slice(2));
      else if (member.startsWith("s:")) await this.schedules?.fire(member.slice(2), score);
    } catch (error) {
      this.log(`error handling ${member}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await this.store.redis.hdel(this.store.inflightKey, member);
    }
    return "started";
  }

  private async dispatchMessage(member: string): Promise<DueResult> {
    const message = await this.getMessage(member.slice(2));
    if (!message) {
      await this.store.redis.zrem(this.store.dueKey, member);
      return "skipped";
    }
    if (message.workflow && !(await this.runs.mayDeliver(message))) {
      await this.cancelMessages([message.messageId]);
      return "skipped";
    }
    const gates: FlowControlState[] = [];
    if (message.queueName) {
      // FIFO: once a queue's message had to wait in this pass, later messages of that queue wait too.
      const refused = this.queuesRefusedThisTick.get(message.queueName);
      if (refused && !(await this.queues.holdsSlot(message.queueName, message.messageId))) return refused;
      const gate = await this.queues.gate(message.queueName, message.messageId);
      if (typeof gate === "string") {
        this.queuesRefusedThisTick.set(message.queueName, gate);
        return gate;
      }
      gates.push(gate);
    }
    if (message.flowControl) {
      const gate = await this.flow.gate(message.flowControl, message.messageId);
      if (typeof gate === "string") return gate;
      gates.push(gate);
    }
    if (!(await this.store.claim(member, this.ownerId))) return "skipped";
    for (const gate of gates) gate.acquire();
    const controller = new AbortController();
    this.active.set(member, controller);
    const delivery = this.runDelivery(message, controller).finally(() => {
      for (const gate of gates) gate.release();
      this.active.delete(member);
      this.deliveries.delete(delivery);
      this.scheduler.wake();
    });
    this.deliveries.add(delivery);
    return "started";
  }

  private async runDelivery(message: StoredMessage, controller: AbortController): Promise<void> {
    try {
      const { body, headers } = await this.runs.deliveryPayload(message);
      await this.event(message, "ACTIVE");
      const outcome = await deliver({
        message,
        body,
        extraHeaders: headers,
        signingKey: this.options.signingKey,
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      this.active.delete(`m:${message.messageId}`);
      this.log(describeDelivery(message, outcome));
      await this.handleOutcome(message, outcome);
    } catch (error) {
      if (this.stopped) return;
      this.log(`delivery of ${message.messageId} crashed: ${(error as Error).stack ?? String(error)}`);
      await this.store.redis
        .multi()
        .hdel(this.store.inflightKey, `m:${message.messageId}`)
        .zadd(this.store.dueKey, this.clock.now() + 1000, `m:${message.messageId}`)
        .exec()
        .catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- outcomes

  private async handleOutcome(message: StoredMessage, outcome: DeliveryOutcome): Promise<void> {
    const response = outcome.response;
    let success = response !== undefined && response.status >= 200 && response.status < 300;
    let nonRetryable =
      response?.status === 489 && isTruthy(response.headers.get("upstash-nonretryable-error") ?? undefined);
    let error = outcome.error ?? (success ? undefined : `status ${response?.status}`);
    if (success && response) {
      const problem = this.runs.detectProblem(message, response.headers);
      if (problem) {
        success = false;
        nonRetryable = true;
        error = problem;
      }
    }
    if (success) await this.onDelivered(message, outcome);
    else if (message.workflow && !(await this.runs.mayDeliver(message)))
      await this.onRunEnded(message, outcome, error ?? "");
    else if (!nonRetryable && message.retried < message.maxRetries)
      await this.onRetry(message, outcome, error ?? "");
    else await this.onFailed(message, outcome, error ?? "");
  }

  private async finish(message: StoredMessage): Promise<void> {
    await this.releaseQueueSlots(message);
    await this.store.redis
      .multi()
      .del(this.store.key("msg", message.messageId))
      .zrem(this.store.key("msgs"), message.messageId)
      .hdel(this.store.inflightKey, `m:${message.messageId}`)
      .exec();
  }

  private async releaseQueueSlots(message: StoredMessage): Promise<void> {
    for (const queue of [message.queueName, message.heldQueueSlot]) {
      if (queue) await this.queues.releaseSlot(queue, message.messageId);
    }
  }

  // Outcomes record everything they cause (stats, events, callbacks, DLQ) BEFORE releasing the in-flight claim,
  // so "nothing in flight and nothing due" really means quiet.
  private async onDelivered(message: StoredMessage, outcome: DeliveryOutcome): Promise<void> {
    await this.store.incrStats(["delivered"]);
    await this.event(message, "DELIVERED", outcome);
    if (message.callback) await this.publishCallback(message, outcome, true);
    await this.runs.onDelivered(message, outcome);
    await this.finish(message);
  }

  private async onRetry(message: StoredMessage, outcome: DeliveryOutcome, error: string): Promise<void> {
    // Plain messages call their callback after every attempt; workflow `context.call` only once, at the end.
    if (message.callback && !message.workflow) await this.publishCallback(message, outcome, false);
    const retried = message.retried + 1;
    const requested = outcome.response ? retryAfterMs(outcome.response.headers, Date.now()) : undefined;
    const delay = requested ?? retryDelayMs(retried, message.retryDelay);
    const next: StoredMessage = { ...message, retried };
    const dueAt = this.clock.now() + delay;
    await this.store.incrStats(["retried"]);
    await this.event(message, "ERROR", outcome, { error });
    await this.event(message, "RETRY", outcome, { error, nextDeliveryTime: dueAt });
    await this.runs.onRetry(message, outcome, error, dueAt);
    await this.store.redis
      .multi()
      .set(this.store.key("msg", message.messageId), JSON.stringify(next))
      .zadd(this.store.dueKey, dueAt, `m:${message.messageId}`)
      .hdel(this.store.inflightKey, `m:${message.messageId}`)
      .exec();
  }

  /**
   * A delivery that was in flight when its run ended (a step result or `context.call` callback the SDK can no
   * longer append: it answers 500 to QStash's 400): no retries, no DLQ entry, no failure callback — the run's
   * other pending messages were cancelled when it ended, and this one is recorded the same way.
   */
  private async onRunEnded(message: StoredMessage, outcome: DeliveryOutcome, error: string): Promise<void> {
    await this.event(message, "ERROR", outcome, { error });
    await this.event(message, "CANCELLED", outcome, { error: "workflow run ended; not retried" });
    await this.runs.onRunEnded(message, outcome, error);
    await this.finish(message);
  }

  private async onFailed(message: StoredMessage, outcome: DeliveryOutcome, error: string): Promise<void> {
    // A workflow `context.call` that ends non-2xx is not a failed message: its status goes back through the
    // callback and nothing lands in the DLQ (WF_NoDelete).
    if (message.workflow?.callType !== "toCallback") await this.store.incrStats(["failed"]);
    await this.event(message, "ERROR", outcome, { error });
    await this.event(message, "FAILED", outcome, { error });
    if (message.callback) await this.publishCallback(message, outcome, true);
    if (!(await this.runs.onFailed(message, outcome, error))) {
      const dlqId = await this.addDlq(message, outcome, error, "message");
      if (message.failureCallback) await this.publishFailureCallback(message, outcome, dlqId);
    }
    await this.finish(message);
  }

  async addDlq(
    message: StoredMessage,
    outcome: DeliveryOutcome,
    error: string,
    source: DlqEntry["source"],
    extra: Partial<DlqEntry> = {},
  ): Promise<string> {
    const now = this.clock.now();
    const entry = buildDlqEntry(message, outcome, error, source, now, extra);
    const dlqId = entry.dlqId;
    await this.store.redis
      .multi()
      .set(this.store.key("dlq", dlqId), JSON.stringify(entry))
      .zadd(this.store.key("dlq"), now, dlqId)
      .exec();
    return dlqId;
  }

  private async publishCallback(
    message: StoredMessage,
    outcome: DeliveryOutcome,
    final: boolean,
  ): Promise<void> {
    if (!message.callback) return;
    const headers = derivedHeaders(message.config, "Upstash-Callback-");
    const body = callbackBody(message, outcome);
    await this.publishDerived(message.callback, headers, body, message, "callback", final);
  }

  async publishFailureCallback(
    message: StoredMessage,
    outcome: DeliveryOutcome,
    dlqId: string,
    overrides?: { destination: string; headers: HeaderMap; extra: Record<string, unknown> },
  ): Promise<PublishResult | undefined> {
    const destination = overrides?.destination ?? message.failureCallback;
    if (!destination) return undefined;
    const headers = overrides?.headers ?? derivedHeaders(message.config, "Upstash-Failure-Callback-");
    const body = callbackBody(message, outcome, { dlqId, ...(overrides?.extra ?? {}) });
    return this.publishDerived(destination, headers, body, message, "failure", true);
  }

  private async publishDerived(
    destination: string,
    headers: HeaderMap,
    body: string,
    source: StoredMessage,
    kind: "callback" | "failure",
    final: boolean,
  ): Promise<PublishResult | undefined> {
    // Callbacks default to the original's retries; workflow callbacks get the run's config instead (attach).
    if (headers["Upstash-Retries"] === undefined && headers["Upstash-Workflow-Runid"] === undefined) {
      headers["Upstash-Retries"] = String(source.maxRetries);
    }
    try {
      const message = buildMessage({
        destination,
        headers,
        body: Buffer.from(body),
        callerIp: source.callerIp,
        nowMs: this.clock.now(),
        kind,
        limits: this.limits,
      });
      // Queue docs: the next message waits for the current one's callbacks; the final callback takes its slot.
      if (final && source.queueName) {
        message.heldQueueSlot = source.queueName;
        await this.queues.takeSlot(source.queueName, message.messageId);
      }
      return await this.publish(message);
    } catch (error) {
      this.log(`could not publish ${kind} for ${source.messageId}: ${(error as Error).message}`);
      return undefined;
    }
  }

  // ---------------------------------------------------------------- logs

  async event(
    message: StoredMessage,
    state: string,
    outcome?: DeliveryOutcome,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const event = buildEvent(message, state, this.clock.now(), outcome, extra);
    const key = this.store.key("events");
    await this.store.redis.multi().lpush(key, JSON.stringify(event)).ltrim(key, 0, 9999).exec();
  }

  /**
   * Quiescence probe. `dueNow` counts due work that can start; due messages held back by a paused queue,
   * a queue's parallelism or flow control are reported as `blocked` instead.
   */
  async pendingStats(): Promise<{
    inFlight: number;
    dueNow: number;
    blocked: number;
    scheduled: number;
    nextDueAt: number | null;
  }> {
    const now = this.clock.now();
    const [inFlight, dueMembers, total] = await Promise.all([
      this.store.redis.hlen(this.store.inflightKey),
      this.store.redis.zrangebyscore(this.store.dueKey, "-inf", now),
      this.store.redis.zcard(this.store.dueKey),
    ]);
    const blocked = dueMembers.filter((member) => this.scheduler.blocked.has(member)).length;
    const upcoming = await this.store.redis.zrangebyscore(
      this.store.dueKey,
      `(${now}`,
      "+inf",
      "WITHSCORES",
      "LIMIT",
      0,
      1,
    );
    const nextDueAt = upcoming.length >= 2 ? Number(upcoming[1]) : null;
    return {
      inFlight,
      dueNow: dueMembers.length - blocked,
      blocked,
      scheduled: total - dueMembers.length,
      nextDueAt,
    };
  }
}

function describeDelivery(message: StoredMessage, outcome: DeliveryOutcome): string {
  const result = outcome.response ? String(outcome.response.status) : `error (${outcome.error})`;
  const run = message.workflow ? ` run=${message.workflow.runId} ${message.workflow.callType}` : "";
  return `deliver ${message.kind} ${message.method} ${message.url} id=${message.messageId} retried=${message.retried}${run} → ${result} in ${outcome.durationMs} ms`;
}
