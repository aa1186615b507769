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
      pipeline.eval(SETTLE, [key], [toolCallId, patch, String(Date.now()), String(this.store.ttlSeconds)]);
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
        [key],
        [toolCallId, status, String(Date.now()), decision.note ?? ""],
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

  private write(runId: string, record: ApprovalRecord): Op {
    const key = this.store.keys.approvals(runId);
    return (pipeline) => {
      pipeline.hset(key, { [record.toolCallId]: JSON.stringify(record) });
      pipeline.expire(key, this.store.ttlSeconds);
    };
  }
}
