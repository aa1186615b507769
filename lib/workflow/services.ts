import type { Client as WorkflowClient } from "@upstash/workflow";
import { Approvals } from "../ai/approvals";
import { usageOfStepResult } from "../ai/usage";
import { Budgets } from "../budgets/budgets";
import type { BudgetConfig } from "../budgets/config";
import { ClaimCheck } from "../claim-check/claim-check";
import { type PriceTable, priceTable } from "../cost/pricing";
import type { RunStore } from "../runs/store";
import type { RunTracker } from "../runs/tracking";

/** The toolkit parts a running workflow may use (the AI layer does: budgets, approvals, tracking). */
export interface RunServices {
  store: RunStore;
  tracker: RunTracker;
  budgets: Budgets;
  approvals: Approvals;
  /** The serving function's duration limit in seconds: inline model calls stop shortly before it. */
  functionMaxDurationSeconds?: number;
}

export interface AiConfig {
  /** Token/request budgets by model id (see lib/budgets/config.ts). */
  budgets?: BudgetConfig;
  /** Dollar prices for the cost of a run (defaults: Upstash pay-as-you-go, OpenAI list prices). */
  prices?: PriceTable;
  /** The clock budgets count minutes and days on (epoch ms; default Date.now). The test stack passes QStash's virtual clock. */
  clock?: () => number;
  /** Step results above this many bytes go to Redis (default 32 KiB); `false` turns the claim check off. */
  claimCheck?: { thresholdBytes?: number } | false;
  /**
   * Seconds the function serving workflow steps may run (the route's `maxDuration`, OVERTIME_MAX_DURATION):
   * an inline agent turn is stopped shortly before, with an error suggesting `mode: "offload"`.
   */
  functionMaxDurationSeconds?: number;
}

/** Builds the services handed to workflows, and the claim check the serve layer applies to step results. */
export function createRunServices(
  parts: { store: RunStore; tracker: RunTracker; client: WorkflowClient },
  config: AiConfig,
): { services: RunServices; claimCheck: ClaimCheck | undefined; prices: PriceTable } {
  const { store, tracker } = parts;
  tracker.readUsage = usageOfStepResult;
  const prices = config.prices ?? priceTable();
  const budgets = new Budgets(store.redis, config.budgets ?? {}, store.keys.budgetPrefix(), {
    prices,
    now: config.clock,
    // workflowRunId: QStash keeps the event for a wait that has not started yet (lookback).
    notify: async (eventId, workflowRunId) => {
      await parts.client.notify({ eventId, workflowRunId });
    },
  });
  const approvals = new Approvals(store, parts.client);
  const claimCheck =
    config.claimCheck === false
      ? undefined
      : new ClaimCheck({
          redis: store.redis,
          prefix: store.keys.claimPrefix(),
          thresholdBytes: config.claimCheck?.thresholdBytes,
          ttlSeconds: store.ttlSeconds,
          onCommands: (runId, commands) => tracker.countCommands(runId, commands),
        });
  return {
    services: {
      store,
      tracker,
      budgets,
      approvals,
      ...(config.functionMaxDurationSeconds && {
        functionMaxDurationSeconds: config.functionMaxDurationSeconds,
      }),
    },
    claimCheck,
    prices,
  };
}
