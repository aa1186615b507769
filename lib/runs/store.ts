import type { Pipeline, Redis } from "@upstash/redis";
import { packClaim, unpackClaim } from "../claim-check/claim-check";
import { OvertimeError } from "../errors";
import { storedJsonOrText } from "../stored-json";
import { Keys, RUN_STATUSES, type RunStatus } from "./keys";
import { EMIT_EVENT, UPDATE_RUN } from "./scripts";

export const TRIGGER_SOURCES = ["webhook", "schedule", "api", "parent", "retry"] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

export interface RunError {
  message: string;
  step?: string;
  /** A stable code for failures Overtime itself decides (e.g. `never_published`). */
  code?: string;
}

export interface IncompatibleStep {
  expected: string;
  found: string;
}

export interface RunRecord {
  id: string;
  workflow: string;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  source: TriggerSource;
  label?: string;
  input?: unknown;
  output?: unknown;
  error?: RunError;
  currentStep?: string;
  sleepingUntil?: number;
  waitingFor?: string;
  incompatible?: IncompatibleStep;
  retryOf?: string;
  /** The latest run retried or replayed from this one (the other way of `retryOf`). */
  retriedAs?: string;
  /** The Idempotency-Key the run was started with, and the caller (trigger secret id) that sent it. */
  idempotencyKey?: string;
  caller?: string;
  /** The run that started this one with `invoke`. */
  parentRunId?: string;
  /** Labels given when the run was started (trigger header, schedule, invoke); each has an index. */
  tags?: string[];
  stepCount: number;
  /** Redis commands the toolkit sent for this run (cost accounting; the trigger's own writes excluded). */
  redisCommands?: number;
}

/** Tokens a step spent on a model (model turns only). */
export interface StepUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
}

/** `timed-out`: a wait whose timeout came before the event (the run goes on; the step did not succeed). */
export type StepOutcome = "running" | "sleeping" | "waiting" | "succeeded" | "timed-out" | "failed";

export interface StepRecord {
  name: string;
  type: string;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  attempt: number;
  outcome: StepOutcome;
  resultBytes?: number;
  error?: string;
  /** Sleep steps: when the sleep ends. */
  sleepingUntil?: number;
  /** Wait steps: the event id the run waits for. */
  waitingFor?: string;
  /** One step of a parallel group (QStash bills one more message for it). */
  parallel?: boolean;
  /** Invoke steps: the child run. */
  childRunId?: string;
  usage?: StepUsage;
  /** The result was stored by the claim check; `resultBytes` is its real size. */
  claimed?: boolean;
}

/** What else is known about a finished step, recorded with its result. */
export interface StepFinishDetail {
  usage?: StepUsage;
  /** Real size of a result the claim check stored (the history holds only its ticket). */
  claimedBytes?: number;
  /** A wait that ended by its timeout. */
  timedOut?: boolean;
}

export interface RunEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** A write queued for the next pipeline; everything a step invocation records goes out in one request. */
export type Op = (pipeline: Pipeline) => void;

export interface RunPatch {
  status?: RunStatus;
  set?: Partial<Record<keyof RunRecord, unknown>>;
  setOnce?: Partial<Record<keyof RunRecord, unknown>>;
  reopen?: boolean;
  /**
   * The position in the run of the step this write comes from. A write older than one already applied
   * (an earlier invocation's pipeline that arrived late) keeps only its `setOnce` fields.
   */
  seq?: number;
  /** A step that succeeded: an error it (or no particular step) left on the run is removed. */
  recoveredStep?: string;
}

export interface ListOptions {
  workflow?: string;
  status?: RunStatus;
  tag?: string;
  source?: TriggerSource;
  /** Created at or after / at or before (ms since epoch). */
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

export interface RunPage {
  runs: RunRecord[];
  nextCursor?: string;
}

export interface StoreOptions {
  redis: Redis;
  retentionDays?: number;
  prefix?: string;
  /** Inputs and outputs larger than this (JSON bytes) are stored as a truncated preview. */
  maxValueBytes?: number;
  maxEventsPerRun?: number;
}

const DAY_MS = 86_400_000;
/** Index entries one filtered page reads at most before answering with what it found. */
const MAX_SCAN = 1_000;
/** Scalars stored as plain text; everything else as JSON. */
const PLAIN_FIELDS = new Set([
  "id",
  "workflow",
  "status",
  "source",
  "createdAt",
  "updatedAt",
  "finishedAt",
  "redisCommands",
]);

/** Run and step records, indexes and event channels in Redis, all expiring after the retention period. */
export class RunStore {
  readonly keys: Keys;
  readonly redis: Redis;
  readonly retentionMs: number;
  private readonly maxValueBytes: number;
  private readonly maxEvents: number;

  constructor(options: StoreOptions) {
    this.redis = options.redis;
    this.keys = new Keys(options.prefix);
    this.retentionMs = (options.retentionDays ?? 30) * DAY_MS;
    this.maxValueBytes = options.maxValueBytes ?? 16_384;
    this.maxEvents = options.maxEventsPerRun ?? 2_000;
  }

  get ttlSeconds(): number {
    return Math.ceil(this.retentionMs / 1000);
  }

  /**
   * Creates or updates a run (and its index entries); `workflow` is needed to place it in the indexes.
   * A large `input` is claim-checked: the record keeps a preview, the full value is stored beside it
   * for retries and restarts (`fullInput`).
   */
  updateRun(runId: string, workflow: string, patch: RunPatch): Op {
    const now = Date.now();
    const set = encodeFields({ ...patch.set });
    const claim = this.claimInput(patch.setOnce?.input);
    // No default `source` here: a late first write must still be able to set it (read as "api" if absent).
    const setOnce = encodeFields({
      id: runId,
      workflow,
      ...patch.setOnce,
      ...(claim && { input: claim.preview, inputClaimed: true }),
    });
    return (pipeline) => {
      if (claim) pipeline.set(this.keys.input(runId), claim.stored, { ex: this.ttlSeconds });
      pipeline.eval(
        UPDATE_RUN,
        [this.keys.run(runId), ...this.keys.indexesFor(workflow), this.keys.input(runId)],
        [
          JSON.stringify(set),
          JSON.stringify(setOnce),
          patch.status ?? "",
          patch.reopen ? "reopen" : "normal",
          String(now),
          String(this.ttlSeconds),
          String(now - this.retentionMs),
          runId,
          patch.seq === undefined ? "" : String(patch.seq),
          patch.recoveredStep ?? "",
        ],
      );
    };
  }

  /** Adds a new run to its tags' indexes (the run's other indexes are kept by the update script). */
  tagRun(runId: string, tags: readonly string[]): Op {
    const now = Date.now();
    return (pipeline) => {
      for (const tag of tags) {
        const key = this.keys.tagIndex(tag);
        // NX: a redelivered first step must not move the run in the index.
        pipeline.zadd(key, { nx: true }, { score: now, member: runId });
        pipeline.zremrangebyscore(key, "-inf", `(${now - this.retentionMs}`);
        pipeline.expire(key, this.ttlSeconds);
      }
    };
  }

  /** Points a run at the latest run retried or replayed from it (a finished record takes this field only). */
  async linkRetry(runId: string, retriedAs: string): Promise<void> {
    await this.redis.hset(this.keys.run(runId), { retriedAs: JSON.stringify(retriedAs) });
  }

  /** Records that a step attempt started (overwrites the previous attempt's start). */
  stepStarted(runId: string, step: { name: string; type: string; attempt: number; detail?: object }): Op {
    const value = JSON.stringify({
      type: step.type,
      startedAt: Date.now(),
      attempt: step.attempt,
      ...step.detail,
    });
    return (pipeline) => {
      pipeline.hset(this.keys.steps(runId), { [step.name]: value });
      pipeline.hdel(this.keys.stepResults(runId), `x:${step.name}`);
      pipeline.expire(this.keys.steps(runId), this.ttlSeconds);
    };
  }

  /** Records a step's result once, however many invocations replay it, and emits `step.finished` that once. */
  stepFinished(runId: string, name: string, result: unknown, detail: StepFinishDetail = {}): Op {
    const finishedAt = Date.now();
    const resultBytes = detail.claimedBytes ?? jsonBytes(result);
    const claimed = detail.claimedBytes !== undefined || undefined;
    const timedOut = detail.timedOut || undefined;
    return this.emit(
      runId,
      "step.finished",
      {
        step: name,
        resultBytes,
        ...(claimed && { claimed }),
        ...(timedOut && { timedOut }),
        ...(detail.usage && { usage: detail.usage }),
      },
      {
        field: `e:${name}`,
        value: JSON.stringify({ finishedAt, resultBytes, claimed, timedOut, usage: detail.usage }),
      },
    );
  }

  /** Adds to the run's count of Redis commands (cost accounting). */
  countCommands(runId: string, commands: number): Op {
    return (pipeline) => {
      pipeline.hincrby(this.keys.run(runId), "redisCommands", commands);
    };
  }

  stepFailed(runId: string, name: string, message: string): Op {
    return (pipeline) => {
      pipeline.hset(this.keys.stepResults(runId), {
        [`x:${name}`]: JSON.stringify({ message, at: Date.now() }),
      });
      pipeline.expire(this.keys.stepResults(runId), this.ttlSeconds);
    };
  }

  /** Appends an event to the run's channel; with `once`, only if that steps-hash field was not set yet. */
  emit(runId: string, event: string, data: object, once?: { field: string; value: string }): Op {
    const payload = JSON.stringify({ runId, at: Date.now(), ...data });
    return (pipeline) => {
      pipeline.eval(
        EMIT_EVENT,
        [this.keys.events(runId), this.keys.stepResults(runId)],
        [
          event,
          payload,
          String(this.ttlSeconds),
          String(this.maxEvents),
          once?.field ?? "",
          once?.value ?? "",
        ],
      );
    };
  }

  /** Sends queued writes as one pipeline (one HTTP request). */
  async apply(ops: Op[], countFor?: { runId: string; extra: number }): Promise<void> {
    if (ops.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const op of ops) op(pipeline);
    // The counting command counts itself too.
    if (countFor) this.countCommands(countFor.runId, pipeline.length() + 1 + countFor.extra)(pipeline);
    await pipeline.exec();
  }

  /** The whole input a run was started with, however large (a record keeps a preview of a large one). */
  async fullInput(runId: string): Promise<{ found: true; input: unknown } | { found: false }> {
    const [input, claimed, stored] = await this.redis
      .pipeline()
      .hget(this.keys.run(runId), "input")
      .hget(this.keys.run(runId), "inputClaimed")
      .get(this.keys.input(runId))
      .exec<[unknown, unknown, unknown]>();
    if (!claimed) return { found: true, input: storedJsonOrText(input) ?? undefined };
    if (stored === null || stored === undefined) return { found: false };
    return { found: true, input: JSON.parse(unpackClaim(stored)) };
  }

  private claimInput(input: unknown): { preview: unknown; stored: string } | undefined {
    if (input === undefined) return undefined;
    const json = JSON.stringify(input) ?? "null";
    if (Buffer.byteLength(json) <= this.maxValueBytes) return undefined;
    return { preview: this.bounded(input), stored: packClaim(json) };
  }

  /** Stores a value as JSON, or as a preview when it is larger than the limit. */
  bounded(value: unknown): unknown {
    if (value === undefined) return undefined;
    const json = JSON.stringify(value) ?? "null";
    const bytes = Buffer.byteLength(json);
    if (bytes <= this.maxValueBytes) return value;
    return { truncated: true, bytes, preview: json.slice(0, Math.min(1_024, this.maxValueBytes)) };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [hash, stepCount] = await this.redis
      .pipeline()
      .hgetall(this.keys.run(runId))
      .hlen(this.keys.steps(runId))
      .exec<[Record<string, unknown> | null, number]>();
    return hash ? toRunRecord(hash, stepCount) : undefined;
  }

  async getSteps(runId: string): Promise<StepRecord[]> {
    const [starts, results] = await this.redis
      .pipeline()
      .hgetall(this.keys.steps(runId))
      .hgetall(this.keys.stepResults(runId))
      .exec<[Record<string, unknown> | null, Record<string, unknown> | null]>();
    return toStepRecords(starts ?? {}, results ?? {});
  }

  /**
   * Newest first; the cursor is opaque (score + id, so runs created in the same millisecond are not lost).
   * One index answers (a tag's, else workflow/status); filters it cannot answer (workflow and status with a
   * tag, source) are checked on the records, scanning at most MAX_SCAN entries per page: a page may then
   * hold fewer runs than the limit and still have a nextCursor.
   */
  async listRuns(options: ListOptions = {}): Promise<RunPage> {
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 100);
    let after = options.cursor ? decodeCursor(options.cursor) : undefined;
    const key = options.tag
      ? this.keys.tagIndex(options.tag)
      : this.keys.index(options.workflow, options.status);
    const filtered = Boolean(options.source || (options.tag && (options.workflow || options.status)));
    const matches = (run: RunRecord) =>
      (!options.source || run.source === options.source) &&
      (!options.tag || !options.workflow || run.workflow === options.workflow) &&
      (!options.tag || !options.status || run.status === options.status);
    const range = { min: options.from ?? "-inf", max: options.to ?? "+inf" } as const;
    const batch = filtered ? 100 : limit;
    const runs: RunRecord[] = [];
    for (let scanned = 0; ; ) {
      const entries = await this.indexPage(key, batch + 1, after, range);
      const page = entries.slice(0, batch);
      const records = await this.runsById(page.map((entry) => entry.id));
      for (const [i, entry] of page.entries()) {
        const run = records[i];
        after = entry;
        if (!run || !matches(run)) continue;
        runs.push(run);
        if (runs.length === limit) {
          const more = i < page.length - 1 || entries.length > batch;
          return { runs, nextCursor: more ? encodeCursor(entry) : undefined };
        }
      }
      scanned += page.length;
      if (entries.length <= batch || !after) return { runs };
      if (scanned >= MAX_SCAN) return { runs, nextCursor: encodeCursor(after) };
    }
  }

  /** Reads the run's channel from the start, or after a stream id. */
  async eventsSince(runId: string, afterId?: string): Promise<RunEvent[]> {
    const start = afterId ? `(${afterId}` : "-";
    const entries = await this.redis.xrange(this.keys.events(runId), start, "+", 1_000);
    return Object.entries(entries).map(([id, fields]) => ({
      id,
      event: String((fields as Record<string, unknown>).event),
      data: storedJsonOrText((fields as Record<string, unknown>).data) as Record<string, unknown>,
    }));
  }

  /**
   * One page of an index, newest first (REV: descending score, then descending member). After a cursor:
   * the rest of the cursor's own millisecond (read whole and filtered by id, however many runs share it),
   * then older scores; both in one pipeline.
   */
  private async indexPage(
    key: string,
    count: number,
    after?: Cursor,
    range: { min: number | "-inf"; max: number | "+inf" } = { min: "-inf", max: "+inf" },
  ): Promise<Cursor[]> {
    const page = { byScore: true, rev: true, withScores: true, offset: 0, count } as const;
    if (!after) return toCursors(await this.redis.zrange<unknown[]>(key, range.max, range.min, page));
    const [sameScore, older] = await this.redis
      .pipeline()
      .zrange(key, after.score, after.score, { byScore: true, rev: true, withScores: true })
      .zrange(key, `(${after.score}`, range.min, page)
      .exec<[unknown[], unknown[]]>();
    const rest = toCursors(sameScore).filter((entry) => entry.id < after.id);
    return [...rest, ...toCursors(older)].slice(0, count);
  }

  /** The records of the ids, in order; undefined where one expired before its index entry. */
  private async runsById(ids: string[]): Promise<Array<RunRecord | undefined>> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.run(id)).hlen(this.keys.steps(id));
    const results = await pipeline.exec<unknown[]>();
    return ids.map((_, i) => {
      const hash = results[i * 2] as Record<string, unknown> | null;
      return hash ? toRunRecord(hash, results[i * 2 + 1] as number) : undefined;
    });
  }
}

interface Cursor {
  score: number;
  id: string;
}

export class InvalidCursorError extends OvertimeError {
  static override readonly code = "invalid_cursor";
  constructor(message: string) {
    super(InvalidCursorError.code, message);
  }
}

/** ZRANGE … WITHSCORES replies alternate member, score. */
function toCursors(raw: unknown[]): Cursor[] {
  const entries: Cursor[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) entries.push({ id: String(raw[i]), score: Number(raw[i + 1]) });
  return entries;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.score, cursor.id])).toString("base64url");
}

function decodeCursor(text: string): Cursor {
  try {
    const [score, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [number, string];
    if (typeof score !== "number" || typeof id !== "string") throw new Error("shape");
    return { score, id };
  } catch {
    throw new InvalidCursorError(`Invalid cursor ${JSON.stringify(text)}; pass back a nextCursor unchanged.`);
  }
}

function encodeFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = PLAIN_FIELDS.has(name) ? String(value) : JSON.stringify(value);
  }
  return out;
}

function toRunRecord(hash: Record<string, unknown>, stepCount: number): RunRecord {
  const field = (name: keyof RunRecord) =>
    (PLAIN_FIELDS.has(name) ? hash[name] : storedJsonOrText(hash[name])) ?? undefined;
  const optionalNumber = (name: keyof RunRecord) => {
    const value = Number(hash[name]);
    return hash[name] === undefined || !Number.isFinite(value) ? undefined : value;
  };
  return {
    id: String(hash.id),
    workflow: String(hash.workflow),
    status: String(hash.status ?? "queued") as RunStatus,
    createdAt: Number(hash.createdAt),
    updatedAt: Number(hash.updatedAt),
    finishedAt: optionalNumber("finishedAt"),
    source: String(hash.source ?? "api") as TriggerSource,
    label: field("label") as string | undefined,
    input: field("input"),
    output: field("output"),
    error: field("error") as RunError | undefined,
    currentStep: field("currentStep") as string | undefined,
    sleepingUntil: field("sleepingUntil") as number | undefined,
    waitingFor: field("waitingFor") as string | undefined,
    incompatible: field("incompatible") as IncompatibleStep | undefined,
    retryOf: field("retryOf") as string | undefined,
    retriedAs: field("retriedAs") as string | undefined,
    idempotencyKey: field("idempotencyKey") as string | undefined,
    caller: field("caller") as string | undefined,
    parentRunId: field("parentRunId") as string | undefined,
    tags: field("tags") as string[] | undefined,
    stepCount,
    redisCommands: optionalNumber("redisCommands"),
  };
}

interface StepStart {
  type: string;
  startedAt: number;
  attempt: number;
  sleepingUntil?: number;
  waitingFor?: string;
  parallel?: boolean;
  childRunId?: string;
}

function toStepRecords(starts: Record<string, unknown>, results: Record<string, unknown>): StepRecord[] {
  const steps: StepRecord[] = [];
  for (const [name, raw] of Object.entries(starts)) {
    const start = storedJsonOrText(raw) as StepStart;
    const end = storedJsonOrText(results[`e:${name}`]) as
      | { finishedAt: number; resultBytes: number; claimed?: boolean; timedOut?: boolean; usage?: StepUsage }
      | undefined;
    const failure = storedJsonOrText(results[`x:${name}`]) as { message: string } | undefined;
    steps.push({
      name,
      type: start.type,
      startedAt: start.startedAt,
      attempt: start.attempt,
      outcome: end
        ? end.timedOut
          ? "timed-out"
          : "succeeded"
        : failure
          ? "failed"
          : pendingOutcome(start.type),
      ...(start.sleepingUntil !== undefined && { sleepingUntil: start.sleepingUntil }),
      ...(start.waitingFor !== undefined && { waitingFor: start.waitingFor }),
      ...(start.parallel && { parallel: true }),
      ...(start.childRunId && { childRunId: start.childRunId }),
      ...(end && {
        finishedAt: end.finishedAt,
        // Start and finish may be recorded by different instances: a little clock skew is not a duration.
        durationMs: Math.max(0, end.finishedAt - start.startedAt),
        resultBytes: end.resultBytes,
        ...(end.claimed && { claimed: true }),
        ...(end.usage && { usage: end.usage }),
      }),
      ...(failure && !end && { error: failure.message }),
    });
  }
  return steps.sort((a, b) => a.startedAt - b.startedAt);
}

function pendingOutcome(type: string): StepOutcome {
  if (type === "sleep") return "sleeping";
  if (type === "wait") return "waiting";
  return "running";
}

function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? "");
}

export { RUN_STATUSES };
