/**
 * Redis key layout. Ids and names are URI-encoded inside keys, so an id containing `:` (or anything else)
 * can never collide with another key's structure.
 */
export const RUN_STATUSES = [
  "queued",
  "running",
  "sleeping",
  "waiting",
  "succeeded",
  "failed",
  "canceled",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled"];

export const enc = (part: string) => encodeURIComponent(part);

/** Builds a key under a prefix from parts, each URI-encoded: `key("drip", userId)` → `<prefix>:drip:<userId>`. */
export type KeyBuilder = (...parts: string[]) => string;

/**
 * The keys an app's own data lives under, beside Overtime's: a workflow gets one as `key` (with the
 * configured prefix), so an id can never reach another key and no code spells the prefix itself.
 */
export function keyBuilder(prefix: string): KeyBuilder {
  return (...parts) => [prefix, ...parts.map(enc)].join(":");
}

export class Keys {
  constructor(readonly prefix = "ot") {}

  run = (runId: string) => `${this.prefix}:run:${enc(runId)}`;
  /** Step starts, one field per step name (HLEN = step count). */
  steps = (runId: string) => `${this.prefix}:run:${enc(runId)}:steps`;
  /** Step results and last errors (`e:<name>`, `x:<name>`). */
  stepResults = (runId: string) => `${this.prefix}:run:${enc(runId)}:results`;
  /** Also the @upstash/realtime channel name of the run (a realtime channel is a stream key). */
  events = (runId: string) => `${this.prefix}:run:${enc(runId)}:events`;
  index = (workflow?: string, status?: RunStatus) =>
    [`${this.prefix}:runs`, workflow && `wf:${enc(workflow)}`, status && `status:${status}`]
      .filter(Boolean)
      .join(":");
  /** Runs with a tag, scored by creation time like the other indexes. */
  tagIndex = (tag: string) => `${this.prefix}:runs:tag:${enc(tag)}`;
  idempotency = (workflow: string, caller: string, key: string) =>
    `${this.prefix}:idem:${enc(workflow)}:${enc(caller)}:${enc(key)}`;
  rateLimitPrefix = () => `${this.prefix}:ratelimit`;
  /** Signatures of signed trigger requests already used (replay protection). */
  signaturePrefix = () => `${this.prefix}:sig`;
  /** Tool-call approvals of a run, one field per tool call id. */
  approvals = (runId: string) => `${this.prefix}:run:${enc(runId)}:approvals`;
  /** Approvals waiting for a person across all runs (member `[runId, toolCallId]` JSON, score requestedAt). */
  pendingApprovals = () => `${this.prefix}:approvals:pending`;
  /** Tasks a workflow publishes for its run (`lib/runs/tasks.ts`), one field per task id. */
  tasks = (runId: string) => `${this.prefix}:run:${enc(runId)}:tasks`;
  /** The full input of a run whose record keeps only a preview (claim check, see RunStore.updateRun). */
  input = (runId: string) => `${this.prefix}:run:${enc(runId)}:input`;
  /** Large step results (claim check): `<prefix>:<runId>:<step>`. */
  claimPrefix = () => `${this.prefix}:claim`;
  budgetPrefix = () => `${this.prefix}:budget`;

  /** Every index a run appears in, in the order the update script expects. */
  indexesFor(workflow: string): string[] {
    return [
      this.index(),
      this.index(workflow),
      ...RUN_STATUSES.map((status) => this.index(undefined, status)),
      ...RUN_STATUSES.map((status) => this.index(workflow, status)),
    ];
  }
}
