import { Cron } from "croner";
import type { Engine } from "./engine";
import { badRequest } from "./errors";
import { canonicalKey, getHeader, type HeaderMap } from "./headers";
import { newScheduleId } from "./ids";
import { buildMessage, isUtf8 } from "./message";

/** Slots one clock skip may fire with "every-slot" (then the schedule skips to now). */
const MAX_SLOTS = 1_000;

export interface ScheduleRecord {
  scheduleId: string;
  cron: string;
  createdAt: number;
  destination: string;
  /** Publish headers of each produced message (config + forwarded), without Upstash-Cron / -Schedule-Id. */
  headers: HeaderMap;
  bodyBase64: string;
  isPaused: boolean;
  callerIp: string;
  lastScheduleTime?: number;
  nextScheduleTime?: number;
  lastScheduleStates?: Record<string, string>;
}

export interface ParsedCron {
  expression: string;
  timezone?: string;
}

/** `CRON_TZ=Europe/Istanbul 0 9 * * *` or a plain 5-field expression (UTC). */
export function parseCron(raw: string): ParsedCron {
  const text = raw.trim().replace(/\s+/g, " ");
  let expression = text;
  let timezone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+) (.*)$/.exec(text);
  if (tz) {
    timezone = tz[1];
    expression = tz[2] ?? "";
  }
  if (expression.split(" ").length !== 5) throw badRequest(`invalid cron expression: ${raw.trim()}`);
  try {
    if (timezone) new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    const cron = new Cron(expression, { timezone: timezone ?? "UTC", mode: "5-part", paused: true });
    cron.nextRun();
  } catch (error) {
    throw badRequest(`invalid cron expression: ${raw.trim()}: ${(error as Error).message}`);
  }
  return timezone ? { expression, timezone } : { expression };
}

/** Next firing strictly after `afterMs` (epoch ms, virtual clock). */
export function nextCronTime(raw: string, afterMs: number): number | null {
  const { expression, timezone } = parseCron(raw);
  const cron = new Cron(expression, { timezone: timezone ?? "UTC", mode: "5-part", paused: true });
  const next = cron.nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}

/** `first` and every later slot up to `untilMs`, capped at MAX_SLOTS. */
function slotsUntil(raw: string, first: number, untilMs: number): number[] {
  const slots = [first];
  for (let next = nextCronTime(raw, first); next !== null && next <= untilMs && slots.length < MAX_SLOTS; ) {
    slots.push(next);
    next = nextCronTime(raw, next);
  }
  return slots;
}

/** The last slot at or before `atMs`. */
function latestCronTime(raw: string, atMs: number): number | null {
  const { expression, timezone } = parseCron(raw);
  const cron = new Cron(expression, { timezone: timezone ?? "UTC", mode: "5-part", paused: true });
  return cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime() ?? null;
}

/** What a clock advance does with the slots it passes over: fire the latest once, or every one in order. */
export type CatchUp = "latest" | "every-slot";

/** Schedules: persisted definitions plus a `s:<id>` due-queue member at the next firing time. */
export class Schedules {
  /** Set by `POST /__dev/clock/advance` for the tick that follows it. */
  catchUp: CatchUp = "latest";

  constructor(private readonly engine: Engine) {}

  private get store() {
    return this.engine.store;
  }
  private recordKey(id: string) {
    return this.store.key("schedule", id);
  }

  async create(destination: string, headers: HeaderMap, body: Buffer, callerIp: string): Promise<string> {
    const cronHeader = getHeader(headers, "Upstash-Cron");
    if (!cronHeader) throw badRequest("Upstash-Cron header is required");
    const cron = cronHeader.trim().replace(/\s+/g, " ");
    parseCron(cron);
    const customId = getHeader(headers, "Upstash-Schedule-Id");
    if (customId !== undefined && !/^[a-zA-Z0-9\-_.]+$/.test(customId)) {
      throw badRequest(`invalid schedule id: ${customId}`);
    }
    const messageHeaders: HeaderMap = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === "Upstash-Cron" || name === "Upstash-Schedule-Id") continue;
      messageHeaders[name] = value;
    }
    this.engine.checkSize(body.length);
    const now = this.engine.clock.now();
    const topic = /^https?:\/\//i.test(destination) ? undefined : await this.engine.topics.get(destination);
    // Validates the destination and every message header the way a publish would.
    buildMessage({
      destination: topic?.endpoints[0]?.url ?? destination,
      headers: messageHeaders,
      body,
      callerIp,
      nowMs: now,
      limits: this.engine.limits,
    });
    const scheduleId = customId ?? newScheduleId();
    const existing = await this.get(scheduleId);
    const record: ScheduleRecord = {
      scheduleId,
      cron,
      createdAt: existing?.createdAt ?? now,
      destination,
      headers: messageHeaders,
      bodyBase64: body.toString("base64"),
      isPaused: existing?.isPaused ?? false,
      callerIp,
    };
    await this.arm(record, now);
    await this.store.redis.sadd(this.store.key("schedules"), scheduleId);
    return scheduleId;
  }

  private async arm(record: ScheduleRecord, afterMs: number): Promise<void> {
    const next = nextCronTime(record.cron, afterMs);
    if (next === null) delete record.nextScheduleTime;
    else record.nextScheduleTime = next;
    const multi = this.store.redis.multi().set(this.recordKey(record.scheduleId), JSON.stringify(record));
    if (next !== null) multi.zadd(this.store.dueKey, next, `s:${record.scheduleId}`);
    else multi.zrem(this.store.dueKey, `s:${record.scheduleId}`);
    await multi.exec();
    this.engine.scheduler.wake();
  }

  async get(id: string): Promise<ScheduleRecord | undefined> {
    return this.store.getJson<ScheduleRecord>(this.recordKey(id));
  }

  async list(): Promise<ScheduleRecord[]> {
    const ids = await this.store.redis.smembers(this.store.key("schedules"));
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records
      .filter((r): r is ScheduleRecord => r !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.store.redis.srem(this.store.key("schedules"), id);
    await this.store.redis.multi().del(this.recordKey(id)).zrem(this.store.dueKey, `s:${id}`).exec();
    return removed === 1;
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    record.isPaused = paused;
    await this.store.setJson(this.recordKey(id), record);
    return true;
  }

  /**
   * Publishes the firing due at `slot` (unless paused) and arms the next. When a clock skip passed over
   * several slots, only the latest fires by default, as a cron daemon does for a machine that slept: a
   * three-day skip must not start 864 runs of a five-minute schedule at once. With `catchUp` set to
   * "every-slot" each one fires, in order, as in real time (capped).
   */
  async fire(id: string, slot: number): Promise<void> {
    const record = await this.get(id);
    if (!record) return;
    const now = this.engine.clock.now();
    const firing =
      this.catchUp === "every-slot"
        ? slotsUntil(record.cron, slot, now)
        : [Math.max(slot, latestCronTime(record.cron, now) ?? slot)];
    if (firing.at(-1) !== slot && this.catchUp === "latest")
      this.engine.log(`schedule ${id}: a clock skip passed several slots; fired the latest once`);
    for (const at of firing) {
      const current = await this.get(id);
      if (!current) return;
      await this.publishFiring(current, at);
    }
    const next = nextCronTime(record.cron, firing.at(-1) as number);
    const armed = await this.get(id);
    if (armed) await this.arm(armed, next === null ? now : Math.max(next - 1, now));
  }

  private async publishFiring(record: ScheduleRecord, slot: number): Promise<void> {
    const id = record.scheduleId;
    if (!record.isPaused) {
      record.lastScheduleTime = slot;
      try {
        const results = await this.engine.publishToDestination(record.destination, {
          headers: record.headers,
          body: Buffer.from(record.bodyBase64, "base64"),
          callerIp: record.callerIp,
          scheduleId: id,
          queueName: getHeader(record.headers, "Upstash-Queue-Name"),
          kind: "schedule",
        });
        record.lastScheduleStates = Object.fromEntries(
          (Array.isArray(results) ? results : [results]).map((r) => [r.messageId, "IN_PROGRESS"]),
        );
      } catch (error) {
        this.engine.log(`schedule ${id} could not publish: ${(error as Error).message}`);
      }
      await this.store.setJson(this.recordKey(id), record);
    }
  }
}

export function scheduleView(record: ScheduleRecord): Record<string, unknown> {
  const headers = record.headers;
  const header: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith("Upstash-Forward-"))
      header[canonicalKey(name.slice("Upstash-Forward-".length))] = [value];
    else if (name === "Content-Type") header[name] = [value];
  }
  const body = Buffer.from(record.bodyBase64, "base64");
  const view: Record<string, unknown> = {
    scheduleId: record.scheduleId,
    cron: record.cron,
    createdAt: record.createdAt,
    destination: record.destination,
    method: (getHeader(headers, "Upstash-Method") ?? "POST").toUpperCase(),
    header,
    retries: Number(getHeader(headers, "Upstash-Retries") ?? 3),
    isPaused: record.isPaused,
    callerIp: record.callerIp,
  };
  if (body.length > 0) {
    if (isUtf8(body)) view.body = body.toString("utf8");
    else view.bodyBase64 = record.bodyBase64;
  }
  const delay = getHeader(headers, "Upstash-Delay");
  if (delay) view.delay = Math.round(parseDelaySeconds(delay));
  const optional: [string, string][] = [
    ["callback", "Upstash-Callback"],
    ["failureCallback", "Upstash-Failure-Callback"],
    ["queueName", "Upstash-Queue-Name"],
    ["retryDelayExpression", "Upstash-Retry-Delay"],
    ["flowControlKey", "Upstash-Flow-Control-Key"],
  ];
  for (const [field, name] of optional) {
    const value = getHeader(headers, name);
    if (value !== undefined) view[field] = value;
  }
  const timeout = getHeader(headers, "Upstash-Timeout");
  if (timeout) view.timeout = Math.round(parseDelaySeconds(timeout));
  const flow = getHeader(headers, "Upstash-Flow-Control-Value");
  if (flow) {
    for (const part of flow.split(",")) {
      const [name, value] = part.split("=").map((s) => s.trim());
      if (name === "parallelism" && value) view.parallelism = Number(value);
      if (name === "rate" && value) view.rate = Number(value);
      if (name === "period" && value) view.period = Math.round(parseDelaySeconds(value));
    }
  }
  const label = getHeader(headers, "Upstash-Label");
  if (label) {
    const labels = label.split(",").map((l) => l.trim());
    view.label = labels[0];
    view.labels = labels;
  }
  if (record.lastScheduleTime !== undefined) view.lastScheduleTime = record.lastScheduleTime;
  if (record.nextScheduleTime !== undefined) view.nextScheduleTime = record.nextScheduleTime;
  if (record.lastScheduleStates) view.lastScheduleStates = record.lastScheduleStates;
  return view;
}

function parseDelaySeconds(value: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
    total += Number(match[1]) * (units[match[2] ?? ""] ?? 0);
  return total;
}
