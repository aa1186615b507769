import type { Engine } from "../engine";
import { badRequest } from "../errors";
import { type HeaderArrays, type HeaderMap, parseDuration, toArrays } from "../headers";
import type { Runs } from "./runs";

interface Waiter {
  runId: string;
  eventId: string;
  url: string;
  /** Unix seconds. */
  deadline: number;
  headers: HeaderArrays;
  timeoutUrl: string;
  timeoutBody?: string;
  timeoutHeaders: HeaderArrays;
  step: Record<string, unknown>;
  createdAt: number;
  /** The wait's timeout as the SDK sent it (`"1h"`, `"30s"`). */
  timeout: string;
}

interface WaitRequestBody {
  url?: string;
  timeout?: string | number;
  timeoutUrl?: string;
  timeoutBody?: string;
  timeoutHeaders?: HeaderArrays;
  step?: Record<string, unknown>;
}

export interface NotifyResult {
  waiter: Record<string, unknown>;
  messageId: string;
  error: string;
  workflowRunId?: string;
  workflowCreatedAt?: number;
}

const DEFAULT_WAIT_TIMEOUT = "7d";

/**
 * waitForEvent / notify / getWaiters / webhooks. Waiters live in a Redis hash per event id (field = run id);
 * their timeouts are `w:<runId>:<eventId>` members of the due-queue. A notify or webhook call aimed at a run
 * that is not waiting yet is kept ("lookback") and delivered when the run starts waiting.
 */
export class Waits {
  constructor(
    private readonly engine: Engine,
    private readonly runs: Runs,
  ) {}

  private get store() {
    return this.engine.store;
  }
  private waitersKey(eventId: string) {
    return this.store.key("waiters", eventId);
  }
  private lookbackKey(runId: string, eventId: string) {
    return this.store.key("lookback", runId, eventId);
  }
  private runWaitsKey(runId: string) {
    return this.store.key("run", runId, "waits");
  }

  async register(eventId: string, requestHeaders: HeaderMap, rawBody: string): Promise<void> {
    let body: WaitRequestBody;
    try {
      body = JSON.parse(rawBody) as WaitRequestBody;
    } catch {
      throw badRequest("invalid wait request body: not JSON");
    }
    if (body === null || typeof body !== "object" || typeof body.url !== "string") {
      throw badRequest("wait request requires a JSON object with url and step");
    }
    const runId = requestHeaders["Upstash-Workflow-Runid"];
    if (!runId) throw badRequest("Upstash-Workflow-RunId header is required for wait");
    if (!body.url || !body.step) throw badRequest("wait request requires url and step");
    const run = await this.runs.get(runId);
    if (run?.state !== "RUN_STARTED") throw badRequest(`workflow run ${runId} is not active`);
    const timeoutText = body.timeout === undefined ? DEFAULT_WAIT_TIMEOUT : String(body.timeout);
    const timeoutMs = parseDuration(timeoutText, "timeout");
    const now = this.engine.clock.now();
    const waiter: Waiter = {
      runId,
      eventId,
      url: body.url,
      deadline: Math.floor((now + timeoutMs) / 1000),
      headers: toArrays(requestHeaders),
      timeoutUrl: body.timeoutUrl ?? body.url,
      timeoutHeaders: body.timeoutHeaders ?? toArrays(requestHeaders),
      step: body.step,
      createdAt: now,
      timeout: timeoutText,
    };
    if (body.timeoutBody !== undefined) waiter.timeoutBody = body.timeoutBody;
    const stored = await this.store.redis.getdel(this.lookbackKey(runId, eventId));
    if (stored !== null) {
      await this.resolve(waiter, Buffer.from(stored, "base64"));
      return;
    }
    await this.store.redis
      .multi()
      .hset(this.waitersKey(eventId), runId, JSON.stringify(waiter))
      .sadd(this.runWaitsKey(runId), eventId)
      .zadd(this.store.dueKey, now + timeoutMs, `w:${runId}:${eventId}`)
      .exec();
  }

  async waiters(eventId: string): Promise<Record<string, unknown>[]> {
    const raw = await this.store.redis.hvals(this.waitersKey(eventId));
    return raw.map((value) => waiterView(JSON.parse(value) as Waiter));
  }

  /** Notifies all waiters of the event (or only `runId`'s, storing the event for later when it is not waiting). */
  async notify(eventId: string, data: Buffer, runId?: string): Promise<NotifyResult[]> {
    const fields = runId === undefined ? await this.store.redis.hkeys(this.waitersKey(eventId)) : [runId];
    const results: NotifyResult[] = [];
    for (const field of fields) {
      const waiter = await this.take(eventId, field);
      if (!waiter) continue;
      const messageId = await this.resolve(waiter, data);
      const run = await this.runs.get(waiter.runId);
      const result: NotifyResult = { waiter: waiterView(waiter), messageId: messageId ?? "", error: "" };
      result.workflowRunId = waiter.runId;
      if (run) result.workflowCreatedAt = run.createdAt;
      results.push(result);
    }
    if (runId !== undefined && results.length === 0) {
      const run = await this.runs.get(runId);
      if (run?.state === "RUN_STARTED") {
        await this.store.redis.set(
          this.lookbackKey(runId, eventId),
          data.toString("base64"),
          "PX",
          7 * 86_400_000,
        );
      }
    }
    return results;
  }

  /** Atomically removes a waiter; only the caller that removed it may resolve it. */
  private async take(eventId: string, runId: string): Promise<Waiter | undefined> {
    const raw = await this.store.redis.hget(this.waitersKey(eventId), runId);
    if (raw === null) return undefined;
    const removed = await this.store.redis.hdel(this.waitersKey(eventId), runId);
    if (removed === 0) return undefined;
    await this.store.redis
      .multi()
      .zrem(this.store.dueKey, `w:${runId}:${eventId}`)
      .srem(this.runWaitsKey(runId), eventId)
      .exec();
    return JSON.parse(raw) as Waiter;
  }

  private async resolve(waiter: Waiter, data: Buffer): Promise<string | undefined> {
    const step: Record<string, unknown> = {
      ...waiter.step,
      out: data.toString("base64"),
      waitEventId: waiter.eventId,
      timeout: waiter.timeout,
      waitTimeoutDeadline: waiter.deadline,
      waitTimeout: false,
    };
    delete step.targetStep;
    return this.runs.publishServerStep(waiter.runId, waiter.url, waiter.headers, step);
  }

  async handleTimeout(rest: string): Promise<void> {
    const separator = rest.indexOf(":");
    if (separator < 0) return;
    const runId = rest.slice(0, separator);
    const eventId = rest.slice(separator + 1);
    const waiter = await this.take(eventId, runId);
    if (!waiter) return;
    const step: Record<string, unknown> = {
      ...waiter.step,
      waitEventId: eventId,
      timeout: waiter.timeout,
      waitTimeoutDeadline: waiter.deadline,
      waitTimeout: true,
    };
    delete step.targetStep;
    await this.runs.publishServerStep(runId, waiter.timeoutUrl, waiter.timeoutHeaders, step);
  }

  async dropRunWaiters(runId: string): Promise<void> {
    const eventIds = await this.store.redis.smembers(this.runWaitsKey(runId));
    const pipeline = this.store.redis.pipeline();
    for (const eventId of eventIds) {
      pipeline.hdel(this.waitersKey(eventId), runId);
      pipeline.zrem(this.store.dueKey, `w:${runId}:${eventId}`);
    }
    pipeline.del(this.runWaitsKey(runId));
    await pipeline.exec();
  }
}

function waiterView(waiter: Waiter): Record<string, unknown> {
  const view: Record<string, unknown> = {
    url: waiter.url,
    deadline: waiter.deadline,
    headers: waiter.headers,
    timeoutUrl: waiter.timeoutUrl,
    timeoutHeaders: waiter.timeoutHeaders,
  };
  if (waiter.timeoutBody !== undefined) view.timeoutBody = waiter.timeoutBody;
  return view;
}
