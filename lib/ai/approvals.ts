import type { Client as WorkflowClient } from "@upstash/workflow";
import { assertUrlSafeId, boundedId, toUrlSafePart } from "../ids";
import type { Op, RunStore } from "../runs/store";
import { storedJson } from "../stored-json";
import { ApprovalAlreadyDecidedError, ApprovalNotFoundError } from "./errors";

export type ApprovalStatus = "pending" | "approved" | "declined" | "timeout";

/** One tool call waiting for (or decided by) a human; listed by `GET /api/runs/{id}`. */
export interface ApprovalRecord {
  toolCallId: string;
  toolName: string;
  input: unknown;
  agent: string;
  turn: number;
  status: ApprovalStatus;
  requestedAt: number;
  /** When the wait times out and the call is declined (epoch ms). */
  expiresAt: number;
  decidedAt?: number;
  note?: string;
}

/** A pending approval with the run it belongs to (the needs-you list). */
export interface PendingApproval extends ApprovalRecord {
  runId: string;
  workflow: string;
}

const FINISHED = new Set(["succeeded", "failed", "canceled"]);

const pendingMember = (runId: string, toolCallId: string) => JSON.stringify([runId, toolCallId]);

export interface Decision {
  approved: boolean;
  note?: string;
}

/** What the waiting step receives from `notify`. */
export interface ApprovalEvent extends Decision {
  toolCallId: string;
}

/**
 * The event a run waits on for one tool call. Tool call ids come from the model, so any text is made
 * URL-safe (QStash puts event ids in URL paths); an id that already is safe stays as it is.
 */
export function approvalEventId(runId: string, toolCallId: string): string {
  return boundedId(`overtime-approval:${runId}:${toUrlSafePart(toolCallId)}`);
}

/** Sets a pending approval's decision atomically; returns the stored record, or an error code. */
const DECIDE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 'missing' end
local record = cjson.decode(current)
if record.status ~= 'pending' then return 'already:' .. current end
record.status = ARGV[2]
record.decidedAt = tonumber(ARGV[3])
if ARGV[4] ~= '' then record.note = ARGV[4] end
local encoded = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
redis.call('ZREM', KEYS[2], ARGV[5])
return 'ok:' .. encoded
`;

/** Merges the final outcome into a request's record (keeping a human's decision time and note). */
const SETTLE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local record = cjson.decode(current)
for field, value in pairs(cjson.decode(ARGV[2])) do record[field] = value end
if not record.decidedAt then record.decidedAt = tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('ZREM', KEYS[2], ARGV[5])
return 1
`;

/**
 * Approval records in Redis (one hash per run) and the decision path. The run itself waits with
 * `waitForEvent`; the record is what the run API lists and what makes a second decision a 409.
 */
export class Approvals {
  constructor(
    private readonly store: RunStore,
    private readonly client: WorkflowClient,
  ) {}

  /** Writes a pending approval and announces it on the run's channel (one pipeline with the step). */
  request(runId: string, record: ApprovalRecord): Op[] {
    return [this.write(runId, record), this.store.emit(runId, "approval.requested", { ...record })];
  }

  /** Records how a wait ended on the request's record (the workflow's view wins: a timeout stays a timeout). */
  settle(runId: string, toolCallId: string, outcome: Pick<ApprovalRecord, "status" | "note">): Op[] {
    const key = this.store.keys.approvals(runId);
    const patch = JSON.stringify({ status: outcome.status, ...(outcome.note && { note: outcome.note }) });
    const settle: Op = (pipeline) => {
      pipeline.eval(
        SETTLE,
        [key, this.store.keys.pendingApprovals()],
        [
          toolCallId,
          patch,
          String(Date.now()),
          String(this.store.ttlSeconds),
          pendingMember(runId, toolCallId),
        ],
      );
    };
    return [settle, this.store.emit(runId, "approval.settled", { toolCallId, ...outcome })];
  }

  async list(runId: string): Promise<ApprovalRecord[]> {
    const hash = await this.store.redis.hgetall<Record<string, unknown>>(this.store.keys.approvals(runId));
    return Object.values(hash ?? {})
      .map((value) => storedJson<ApprovalRecord>(value))
      .sort((a, b) => a.requestedAt - b.requestedAt);
  }

  /** A human's decision: stored once (a second one is refused), then the waiting run is notified. */
  async decide(runId: string, toolCallId: string, decision: Decision): Promise<ApprovalRecord> {
    assertUrlSafeId("runId", runId);
    const key = this.store.keys.approvals(runId);
    const status: ApprovalStatus = decision.approved ? "approved" : "declined";
    const raw = String(
      await this.store.redis.eval<string[], unknown>(
        DECIDE,
        [key, this.store.keys.pendingApprovals()],
        [toolCallId, status, String(Date.now()), decision.note ?? "", pendingMember(runId, toolCallId)],
      ),
    );
    if (raw === "missing") {
      throw new ApprovalNotFoundError(
        `Run "${runId}" has no approval request for tool call "${toolCallId}".`,
      );
    }
    const [outcome] = raw.split(":", 1);
    const record = JSON.parse(raw.slice((outcome as string).length + 1)) as ApprovalRecord;
    if (outcome !== "ok") {
      throw new ApprovalAlreadyDecidedError(
        `Tool call "${toolCallId}" of run "${runId}" is already ${record.status}.`,
      );
    }
    const event: ApprovalEvent = { toolCallId, ...decision };
    // workflowRunId makes QStash keep the event for a wait that has not started yet (lookback).
    await this.client.notify({
      eventId: approvalEventId(runId, toolCallId),
      eventData: event,
      workflowRunId: runId,
    });
    await this.store.apply([this.store.emit(runId, "approval.decided", { ...record })]);
    return record;
  }

  /**
   * Approvals waiting for a person across runs, oldest first. Entries whose run ended without a decision
   * (canceled, failed, expired) are dropped from the index as they are met.
   */
  async pending(options: { limit?: number } = {}): Promise<PendingApproval[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 500);
    const index = this.store.keys.pendingApprovals();
    const members = await this.store.redis.zrange<string[]>(index, 0, limit - 1);
    if (members.length === 0) return [];
    const refs = members.map((member) => {
      const [runId, toolCallId] = (typeof member === "string" ? JSON.parse(member) : member) as [
        string,
        string,
      ];
      return { member, runId, toolCallId };
    });
    const pipeline = this.store.redis.pipeline();
    for (const ref of refs) {
      pipeline.hget(this.store.keys.approvals(ref.runId), ref.toolCallId);
      pipeline.hmget(this.store.keys.run(ref.runId), "workflow", "status");
    }
    const results = await pipeline.exec<unknown[]>();
    const found: PendingApproval[] = [];
    const stale: string[] = [];
    for (const [i, ref] of refs.entries()) {
      const raw = results[i * 2];
      const run = results[i * 2 + 1] as { workflow?: unknown; status?: unknown } | null;
      const record = raw === null || raw === undefined ? undefined : storedJson<ApprovalRecord>(raw);
      const status = run?.status == null ? undefined : String(run.status);
      if (record?.status !== "pending" || !status || FINISHED.has(status)) {
        stale.push(JSON.stringify([ref.runId, ref.toolCallId]));
        continue;
      }
      found.push({ ...record, runId: ref.runId, workflow: String(run?.workflow) });
    }
    if (stale.length > 0) await this.store.redis.zrem(index, ...stale);
    return found;
  }

  private write(runId: string, record: ApprovalRecord): Op {
    const key = this.store.keys.approvals(runId);
    return (pipeline) => {
      pipeline.hset(key, { [record.toolCallId]: JSON.stringify(record) });
      pipeline.expire(key, this.store.ttlSeconds);
      if (record.status === "pending") {
        const index = this.store.keys.pendingApprovals();
        pipeline.zadd(index, { score: record.requestedAt, member: pendingMember(runId, record.toolCallId) });
        pipeline.expire(index, this.store.ttlSeconds);
      }
    };
  }
}
