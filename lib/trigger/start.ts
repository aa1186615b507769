import { randomUUID } from "node:crypto";
import type { Client as WorkflowClient } from "@upstash/workflow";
import { HttpError, NotFoundError, ValidationError } from "../http/errors";
import type { RunStore, TriggerSource } from "../runs/store";
import { DEFAULT_STEP_RETRIES, RETRIES_HEADER, RETRY_OF_HEADER, SOURCE_HEADER } from "../runs/tracking";
import { type Registry, unknownWorkflowMessage } from "../workflow/registry";

export const IDEMPOTENCY_TTL_SECONDS = 86_400;
const RUN_ID = /^[^\s/?#%]{1,200}$/;

export interface StartDeps {
  registry: Registry;
  store: RunStore;
  client: WorkflowClient;
  /** Full URL of a workflow's serve endpoint. */
  workflowUrl(name: string): string;
}

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

/** Validates input, records the queued run and publishes it to QStash; never runs a step itself. */
export async function startRun(deps: StartDeps, options: StartOptions): Promise<StartedRun> {
  const definition = deps.registry.get(options.workflow);
  if (!definition) throw new NotFoundError(unknownWorkflowMessage(deps.registry, options.workflow));
  const parsed = definition.input.safeParse(options.input);
  if (!parsed.success) throw ValidationError.fromZod(parsed.error, "input");

  if (options.runId !== undefined && !RUN_ID.test(options.runId)) {
    throw new ValidationError("Invalid run id.", [
      {
        path: "runId",
        message: "1-200 characters, no whitespace, '/', '?', '#' or '%' (QStash puts it in URL paths)",
      },
    ]);
  }
  const runId = `wfr_${options.runId ?? randomUUID()}`;
  const idempotencyKey = options.idempotencyKey
    ? deps.store.keys.idempotency(definition.name, options.caller ?? "anonymous", options.idempotencyKey)
    : undefined;
  if (idempotencyKey) {
    const earlier = await deps.store.redis.set<string>(idempotencyKey, runId, {
      nx: true,
      get: true,
      ex: IDEMPOTENCY_TTL_SECONDS,
    });
    if (earlier) return { runId: String(earlier), deduplicated: true };
  }

  await deps.store.apply([
    deps.store.updateRun(runId, definition.name, {
      status: "queued",
      setOnce: {
        source: options.source,
        input: parsed.data,
        label: options.label,
        retryOf: options.retryOf,
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
    if (idempotencyKey) await deps.store.redis.del(idempotencyKey);
    await deps.store.apply([
      deps.store.updateRun(runId, definition.name, {
        status: "failed",
        set: {
          error: { message: `Could not publish the run to QStash: ${String(error)}` },
          finishedAt: Date.now(),
        },
      }),
    ]);
    throw new HttpError(502, "publish_failed", `Could not start the run: ${String(error)}`);
  }
  return { runId, deduplicated: false };
}
