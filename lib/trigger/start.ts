import { randomUUID } from "node:crypto";
import type { Client as WorkflowClient } from "@upstash/workflow";
import { dependencyFailure, isTransient } from "../dependency-errors";
import { DependencyUnavailableError, NotFoundError, ValidationError } from "../errors";
import { assertUrlSafeId } from "../ids";
import { errorText } from "../runs/error-text";
import type { RunStore, TriggerSource } from "../runs/store";
import { parseTags } from "../runs/tags";
import { DEFAULT_STEP_RETRIES, RETRIES_HEADER, RETRY_OF_HEADER, SOURCE_HEADER } from "../runs/tracking";
import { type Registry, unknownWorkflowMessage } from "../workflow/registry";
import { claimKey, inputHash, markPublished, releaseKey } from "./idempotency";

export interface StartDeps {
  registry: Registry;
  store: RunStore;
  client: WorkflowClient;
  /** Full URL of a workflow's serve endpoint. */
  workflowUrl(name: string): string;
  /**
   * How long an idempotency key may stay unpublished before a request with the same key takes over
   * and publishes its run (the first request crashed). Default 5 s.
   */
  recoverAfterMs?: number;
  /** Forwarded on the trigger; QStash re-applies them to every delivery of the run (e.g. protection bypass). */
  deliveryHeaders?: Record<string, string>;
}

export const DEFAULT_RECOVER_AFTER_MS = 5_000;

export interface StartOptions {
  workflow: string;
  input: unknown;
  source: TriggerSource;
  /** Same key (per workflow and caller) within 24 h → the same run id, no second run. */
  idempotencyKey?: string;
  caller?: string;
  label?: string;
  /** Run id suffix (the SDK prefixes `wfr_`); random when omitted. */
  runId?: string;
  retryOf?: string;
  /** Labels for filtering the run list (lib/runs/tags.ts rules). */
  tags?: readonly string[];
}

export interface StartedRun {
  runId: string;
  /** True when an earlier request with the same Idempotency-Key started it. */
  deduplicated: boolean;
}

/**
 * Validates input, records the queued run and publishes it to QStash; never runs a step itself.
 *
 * With an idempotency key the steps are ordered so a crash at any point leaves a state the next request
 * with the same key completes: the key is claimed for a run id first (marked unpublished), the queued
 * record is written, the run is published, then the key is marked published. A later request that
 * finds the key unpublished publishes the same run id again: QStash answers "already exists" for an
 * active run, and a run that already moved past `queued` in Overtime's record is not published again.
 */
export async function startRun(deps: StartDeps, options: StartOptions): Promise<StartedRun> {
  const definition = deps.registry.get(options.workflow);
  if (!definition) throw new NotFoundError(unknownWorkflowMessage(deps.registry, options.workflow));
  const parsed = definition.input.safeParse(options.input);
  if (!parsed.success) throw ValidationError.fromZod(parsed.error, "input");

  const tags = options.tags && options.tags.length > 0 ? parseTags(options.tags) : undefined;

  let runId = assertUrlSafeId("runId", `wfr_${options.runId ?? randomUUID()}`);
  const key = options.idempotencyKey
    ? deps.store.keys.idempotency(definition.name, options.caller ?? "anonymous", options.idempotencyKey)
    : undefined;
  // The input as sent (JSON), not as parsed: a schema's transforms must not make two inputs look alike.
  const hash = key ? inputHash(options.input) : "";
  let deduplicated = false;
  if (key) {
    const claim = await claimKey(deps.store.redis, key, { runId, inputHash: hash, claimedAt: Date.now() });
    if (!claim.first) {
      const { earlier } = claim;
      runId = earlier.runId;
      deduplicated = true;
      // Unpublished and young: the first request is most likely still publishing it.
      const inFlight = Date.now() - earlier.claimedAt < (deps.recoverAfterMs ?? DEFAULT_RECOVER_AFTER_MS);
      if (earlier.published || inFlight) return { runId, deduplicated };
      const record = await deps.store.getRun(runId);
      if ((record && record.status !== "queued") || (await qstashKnows(deps.client, runId))) {
        await markPublished(deps.store.redis, key, earlier);
        return { runId, deduplicated };
      }
      // The first request stopped before QStash accepted the run: finish its work with the same id.
    }
  }

  await deps.store.apply([
    deps.store.updateRun(runId, definition.name, {
      status: "queued",
      setOnce: {
        source: options.source,
        input: parsed.data,
        label: options.label,
        retryOf: options.retryOf,
        tags,
        ...(options.idempotencyKey && { idempotencyKey: options.idempotencyKey, caller: options.caller }),
      },
    }),
    deps.store.emit(runId, "run.status", { status: "queued" }),
    ...(tags ? [deps.store.tagRun(runId, tags)] : []),
  ]);
  try {
    await deps.client.trigger({
      url: deps.workflowUrl(definition.name),
      body: parsed.data,
      workflowRunId: runId.slice("wfr_".length),
      headers: {
        ...deps.deliveryHeaders,
        [SOURCE_HEADER]: options.source,
        [RETRIES_HEADER]: String(definition.retries ?? DEFAULT_STEP_RETRIES),
        ...(options.retryOf && { [RETRY_OF_HEADER]: options.retryOf }),
      },
      ...(options.label && { label: options.label }),
      ...(definition.retries !== undefined && { retries: definition.retries }),
      ...(definition.retryDelay && { retryDelay: definition.retryDelay }),
      ...(definition.flowControl && { flowControl: definition.flowControl }),
    });
  } catch (error) {
    const failure = dependencyFailure(error);
    if (!failure) throw error;
    if (isTransient(failure)) {
      // QStash may have accepted it after all: leave the key unpublished and the record queued. A retry
      // with the same key publishes the same run id again; without one, the record is reconciled.
      throw new DependencyUnavailableError(
        "qstash",
        "QStash is busy or unreachable; the run may not have started. Retry (with the same Idempotency-Key).",
      );
    }
    // QStash refused it (too large, invalid): the run never started, so neither the key nor the record may say it did.
    if (key) await releaseKey(deps.store.redis, key, runId);
    await deps.store.apply([
      deps.store.updateRun(runId, definition.name, {
        status: "failed",
        set: {
          error: { message: `QStash refused the run: ${errorText(error)}`, code: "publish_refused" },
          finishedAt: Date.now(),
        },
      }),
    ]);
    throw error;
  }
  if (key) await markPublished(deps.store.redis, key, { runId, inputHash: hash, claimedAt: Date.now() });
  return { runId, deduplicated };
}

/** QStash has a log of the run (it accepted it, maybe even ran it to the end): never publish it again. */
async function qstashKnows(client: WorkflowClient, runId: string): Promise<boolean> {
  const { runs } = await client.logs({ filter: { workflowRunId: runId } });
  return runs.some((run) => run.workflowRunId === runId);
}
