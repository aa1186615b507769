import { randomUUID } from "node:crypto";
import type { Client as WorkflowClient } from "@upstash/workflow";
import { DependencyUnavailableError, NotFoundError, ValidationError } from "../errors";
import { assertUrlSafeId } from "../ids";
import type { RunStore, TriggerSource } from "../runs/store";
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

  let runId = assertUrlSafeId("runId", `wfr_${options.runId ?? randomUUID()}`);
  const key = options.idempotencyKey
    ? deps.store.keys.idempotency(definition.name, options.caller ?? "anonymous", options.idempotencyKey)
    : undefined;
  const hash = key ? inputHash(parsed.data) : "";
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
      if (record && record.status !== "queued") {
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
        ...(options.idempotencyKey && { idempotencyKey: options.idempotencyKey, caller: options.caller }),
      },
    }),
    deps.store.emit(runId, "run.status", { status: "queued" }),
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
    // The caller is told the run did not start, so neither the key nor the record may say it did.
    if (key) await releaseKey(deps.store.redis, key);
    await deps.store.apply([
      deps.store.updateRun(runId, definition.name, {
        status: "failed",
        set: {
          error: { message: `Could not publish the run to QStash: ${errorMessage(error)}` },
          finishedAt: Date.now(),
        },
      }),
    ]);
    // QStash's own answers (too large, rate limited, …) keep their meaning; anything else means unreachable.
    if (error instanceof Error && error.name === "QstashError") throw error;
    throw new DependencyUnavailableError("qstash", `Could not start the run: ${errorMessage(error)}`);
  }
  if (key) await markPublished(deps.store.redis, key, { runId, inputHash: hash, claimedAt: Date.now() });
  return { runId, deduplicated };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
