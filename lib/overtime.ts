import { Client as QStashClient, Receiver } from "@upstash/qstash";
import type { Redis } from "@upstash/redis";
import { Client as WorkflowClient } from "@upstash/workflow";
import type { PriceTable } from "./cost/pricing";
import { NotFoundError, OvertimeError } from "./errors";
import { cancelRun } from "./runs/cancel";
import { runEventStream, type StreamOptions } from "./runs/events";
import { type KeyBuilder, keyBuilder } from "./runs/keys";
import { createReconciler } from "./runs/reconcile";
import { type ReplayOptions, replayRun } from "./runs/replay";
import { type RetriedRun, type RetryMode, retryRun } from "./runs/retry";
import { type ListOptions, type RunPage, type RunRecord, RunStore, type StepRecord } from "./runs/store";
import { RunTracker } from "./runs/tracking";
import { withScheduleFirings } from "./schedules/firing";
import type { CallerSecrets } from "./trigger/auth";
import { type CallerLimiter, createCallerLimiter, type RateLimitOptions } from "./trigger/rate-limit";
import { type StartOptions, startRun } from "./trigger/start";
import type { AnyWorkflow } from "./workflow/define";
import { createRegistry, type Registry } from "./workflow/registry";
import { createWorkflowEndpoint } from "./workflow/serve";
import { type AiConfig, createRunServices, type RunServices } from "./workflow/services";
import { verifyDeliveries } from "./workflow/verify";

export interface OvertimeConfig {
  workflows: Registry | readonly AnyWorkflow[];
  redis: Redis;
  /** `retry`: the QStash clients' own retries of a failed request (default 5 with backoff; false = none). */
  qstash: { url?: string; token: string; retry?: false | { retries?: number } };
  /**
   * QStash signing keys; every workflow request is verified with them. Passing "skip-verification"
   * is for local tools only; omitting both is a startup error.
   */
  signingKeys: { current: string; next: string } | "skip-verification";
  /** Public base URL of the app (what QStash calls back), e.g. https://app.vercel.app. */
  baseUrl: string;
  /** Path of the catch-all workflow route (default "/api/workflows"). */
  workflowsPath?: string;
  retentionDays?: number;
  keyPrefix?: string;
  trigger?: {
    secrets: CallerSecrets;
    rateLimit?: RateLimitOptions;
    toleranceSeconds?: number;
    /** Crash recovery of triggers (defaults suit production; tests shorten them). */
    recovery?: {
      /** An idempotency key left unpublished this long is taken over by the next request (default 5 s). */
      takeOverAfterMs?: number;
      /**
       * A record not finished and not updated for this long is compared with QStash's log when read:
       * a run QStash ended gets that end, a queued one QStash never heard of fails as never published
       * (default 60 s).
       */
      staleAfterMs?: number;
    };
  };
  /** Budgets, prices and the claim check (lib/workflow/services.ts). */
  ai?: AiConfig;
  /** Largest request body the API reads (default 1 MiB, QStash's smallest message limit); more is 413. */
  maxBodyBytes?: number;
  /**
   * Headers QStash forwards on every delivery to the app, e.g. Vercel's protection bypass
   * (`deliveryHeadersFor` in lib/vercel.ts). Sent with each trigger and invoke (QStash re-applies a run's
   * trigger headers to all its steps, callbacks and failure callback) and with each schedule.
   */
  deliveryHeaders?: Record<string, string>;
}

/** Overtime cannot start with this configuration (the message names what to set); the API answers 503. */
export class ConfigError extends OvertimeError {
  static override readonly code = "misconfigured";
  constructor(message: string) {
    super(ConfigError.code, message);
  }
}

/** The toolkit, wired once from explicit clients and settings (the app builds it from env; tests directly). */
export interface Overtime {
  config: OvertimeConfig;
  registry: Registry;
  store: RunStore;
  tracker: RunTracker;
  client: WorkflowClient;
  /** POST handler for `<workflowsPath>/<name>`: workflow steps, and schedule firings (they start a run). */
  serveWorkflows: (request: Request) => Promise<Response>;
  limitCaller: CallerLimiter;
  workflowUrl(name: string): string;
  start(options: StartOptions): ReturnType<typeof startRun>;
  /** Runs: read, list, cancel, retry, follow. */
  runs: OvertimeRuns;
  /** Keys for the app's own data under the configured prefix (what workflows get as `key`). */
  key: KeyBuilder;
  /** Budgets, approvals, tracking: what workflows get as `services`. */
  services: RunServices;
  /** The price table run costs are computed with. */
  prices: PriceTable;
}

/** What the API and the dashboard do with runs; every id is a run id (`wfr_…`). */
export interface OvertimeRuns {
  /** The record, first reconciled with QStash when it looks stale (lib/runs/reconcile.ts); undefined if none. */
  get(runId: string): Promise<RunRecord | undefined>;
  /** A page of runs, newest first, filtered by workflow and status; stale unfinished ones are reconciled. */
  list(options?: ListOptions): Promise<RunPage>;
  /** The run's steps in the order they started. */
  steps(runId: string): Promise<StepRecord[]>;
  /** Cancels a run that has not finished (NotFoundError, ConflictError otherwise). */
  cancel(runId: string): Promise<void>;
  /** Resumes a failed run from its failed step, or restarts it with the same input (`auto` picks). */
  retry(runId: string, mode?: RetryMode): Promise<RetriedRun>;
  /** Starts a finished run (succeeded too) again as a new run, with its input or an edited one. */
  replay(runId: string, options?: ReplayOptions): Promise<{ runId: string }>;
  /** Server-Sent Events of the run: its history, then live events, ending after its final status. */
  events(runId: string, options?: StreamOptions): ReadableStream<Uint8Array>;
}

export function createOvertime(config: OvertimeConfig): Overtime {
  const registry = "get" in config.workflows ? config.workflows : createRegistry(config.workflows);
  const store = new RunStore({
    redis: config.redis,
    retentionDays: config.retentionDays,
    prefix: config.keyPrefix,
  });
  const tracker = new RunTracker(store);
  const clientConfig = { baseUrl: config.qstash.url, token: config.qstash.token, retry: config.qstash.retry };
  const qstashClient = new QStashClient(clientConfig);
  const client = new WorkflowClient(clientConfig);
  const workflowUrl = (name: string) => workflowEndpointUrl(config.baseUrl, name, config.workflowsPath);
  const receiver = receiverFor(config.signingKeys);
  const { services, claimCheck, prices } = createRunServices({ store, tracker, client }, config.ai ?? {});
  const recovery = config.trigger?.recovery ?? {};
  const start = (options: StartOptions) =>
    startRun(
      {
        registry,
        store,
        client,
        workflowUrl,
        recoverAfterMs: recovery.takeOverAfterMs,
        deliveryHeaders: config.deliveryHeaders,
      },
      options,
    );
  const reconcile = createReconciler({ store, client, staleAfterMs: recovery.staleAfterMs });
  const endpoint = withScheduleFirings(
    createWorkflowEndpoint({
      registry,
      tracker,
      qstashClient,
      receiver,
      baseUrl: config.baseUrl,
      services,
      claimCheck,
      deliveryHeaders: config.deliveryHeaders,
    }),
    { registry, start },
  );
  const serveWorkflows = verifyDeliveries(endpoint, { receiver, baseUrl: config.baseUrl });
  const limitCaller = createCallerLimiter(
    config.redis,
    store.keys.rateLimitPrefix(),
    config.trigger?.rateLimit ?? { requests: 60 },
  );
  const parts = {
    config,
    registry,
    store,
    tracker,
    client,
    serveWorkflows,
    limitCaller,
    workflowUrl,
    start,
    services,
    prices,
    key: keyBuilder(store.keys.prefix),
  };
  return { ...parts, runs: createRuns(parts, reconcile) };
}

function createRuns(
  overtime: Pick<Overtime, "client" | "store" | "start">,
  reconcile: (run: RunRecord) => Promise<RunRecord>,
): OvertimeRuns {
  const { store } = overtime;
  const get = async (runId: string) => {
    const run = await store.getRun(runId);
    return run && reconcile(run);
  };
  const required = async (runId: string) => {
    const run = await get(runId);
    if (!run) throw new NotFoundError(`No run with id "${runId}" (runs are kept for the retention period).`);
    return run;
  };
  return {
    get,
    async list(options = {}) {
      const page = await store.listRuns(options);
      // One at a time: a page of stale runs must not burst QStash's log API.
      const runs: RunRecord[] = [];
      for (const run of page.runs) runs.push(await reconcile(run));
      return { ...page, runs };
    },
    steps: (runId) => store.getSteps(runId),
    async cancel(runId) {
      await cancelRun(overtime, await required(runId));
    },
    async retry(runId, mode = "auto") {
      return retryRun(overtime, await required(runId), mode);
    },
    async replay(runId, options) {
      return replayRun(overtime, await required(runId), options);
    },
    events: (runId, options) => runEventStream(store, runId, options),
  };
}

export const DEFAULT_WORKFLOWS_PATH = "/api/workflows";

/** Full URL of a workflow's serve endpoint (what QStash calls for every step, and what schedules target). */
export function workflowEndpointUrl(
  baseUrl: string,
  name: string,
  workflowsPath = DEFAULT_WORKFLOWS_PATH,
): string {
  return `${baseUrl.replace(/\/$/, "")}${workflowsPath}/${name}`;
}

function receiverFor(keys: OvertimeConfig["signingKeys"]): Receiver | undefined {
  if (keys === "skip-verification") return undefined;
  if (!keys?.current || !keys?.next) {
    throw new ConfigError(
      "QStash signing keys are missing: set QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY " +
        "(Upstash console → QStash → Signing keys). Workflow endpoints never run unverified outside local tools.",
    );
  }
  return new Receiver({ currentSigningKey: keys.current, nextSigningKey: keys.next });
}
