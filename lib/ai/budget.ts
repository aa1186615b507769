import type { WorkflowContext } from "@upstash/workflow";
import type { ModelMessage, ToolSet } from "ai";
import { COMMANDS_PER_LIMIT_CALL } from "../budgets/budgets";
import type { RunServices } from "../workflow/services";
import type { StepNames } from "./names";
import { isRateLimited, type TurnOutcome } from "./types";

export interface BudgetTurn {
  context: WorkflowContext<unknown>;
  runId: string;
  services: RunServices;
  names: StepNames;
  turn: number;
  model: string;
  tenant?: string;
}

/** A reservation held for one model call. */
export interface Held {
  tokens: number;
}

/** Per turn: how many reservations and waits so far (they name the steps). */
export interface BudgetCounters {
  reservations: number;
  waits: number;
}

/**
 * Reserves `tokens` (plus one request) inside a step; while the budget is spent, sleeps durably until it
 * refills and tries again. `refund` is a previous reservation of this turn that was not used (the
 * provider refused the call): it is given back in the same step.
 */
export async function reserveBudget(
  turn: BudgetTurn,
  tokens: number,
  counters: BudgetCounters,
  refund?: Held,
): Promise<Held> {
  let pendingRefund = refund;
  for (;;) {
    counters.reservations++;
    const giveBack = pendingRefund;
    const result = await turn.context.run(turn.names.reserve(turn.turn, counters.reservations), async () => {
      const { budgets, tracker } = turn.services;
      if (giveBack) await budgets.reconcile(turn.model, turn.tenant, giveBack.tokens, 0);
      const reservation = await budgets.reserve({ model: turn.model, tenant: turn.tenant, tokens });
      tracker.countCommands(turn.runId, (giveBack ? 1 : 0) + 3 * COMMANDS_PER_LIMIT_CALL);
      return reservation;
    });
    pendingRefund = undefined;
    if (result.granted) return { tokens: result.tokens };
    counters.waits++;
    await turn.context.sleep(
      turn.names.budgetWait(turn.turn, counters.waits),
      sleepSeconds(result.retryAfterMs),
    );
  }
}

/** A call step that did not call the model: the budget could not grant its reservation yet. */
export interface BudgetDenied {
  budgetDenied: { retryAfterMs: number; reason: "tokens" | "requests" };
}

export function isBudgetDenied(outcome: object): outcome is BudgetDenied {
  return "budgetDenied" in outcome;
}

/** What a call step reserves: its estimate, plus the run's debt (tokens earlier turns used but could not pay). */
export interface StepReservation {
  estimate: number;
  debt: number;
}

/**
 * Inside a call step: reserves the estimate and the debt (and one request), calls the model, then
 * settles the reservation with what was really spent: the call's tokens and the debt. A refused or
 * failed call gives the whole reservation back and the debt stays owed. A denied reservation returns
 * without calling the model. What the bucket cannot cover travels on as `budgetDebt`, in the step's
 * result. Once the model answered, a settlement Redis refuses never fails the step (that would call
 * the model again): the shortfall becomes debt instead.
 */
export async function withBudgetInStep(
  turn: BudgetTurn,
  { estimate, debt }: StepReservation,
  call: () => Promise<TurnOutcome>,
): Promise<TurnOutcome | BudgetDenied> {
  const { budgets, tracker } = turn.services;
  const reservation = await budgets.reserve({
    model: turn.model,
    tenant: turn.tenant,
    tokens: estimate + debt,
  });
  tracker.countCommands(turn.runId, 3 * COMMANDS_PER_LIMIT_CALL);
  if (!reservation.granted) {
    return { budgetDenied: { retryAfterMs: reservation.retryAfterMs, reason: reservation.reason } };
  }
  const settle = async (spent: number): Promise<number> => {
    try {
      tracker.countCommands(turn.runId, COMMANDS_PER_LIMIT_CALL);
      return await budgets.reconcile(turn.model, turn.tenant, reservation.tokens, spent);
    } catch {
      return Math.max(0, spent - reservation.tokens);
    }
  };
  let outcome: TurnOutcome;
  try {
    outcome = await call();
  } catch (error) {
    await settle(0);
    throw error;
  }
  if (isRateLimited(outcome)) {
    await settle(0);
    return debt > 0 ? { ...outcome, budgetDebt: debt } : outcome;
  }
  const owed = await settle(outcome.usage.totalTokens + debt);
  return owed > 0 ? { ...outcome, budgetDebt: owed } : outcome;
}

/** After the call: refunds what the estimate over-reserved, or charges what it missed (→ debt if it cannot). */
export async function reconcileBudget(turn: BudgetTurn, held: Held, usedTokens: number): Promise<number> {
  return turn.context.run(turn.names.reconcile(turn.turn), async () => {
    const debt = await turn.services.budgets.reconcile(turn.model, turn.tenant, held.tokens, usedTokens);
    turn.services.tracker.countCommands(turn.runId, COMMANDS_PER_LIMIT_CALL);
    return debt;
  });
}

/** QStash sleeps are whole seconds; never sleep 0 (that would be a hot loop). */
export function sleepSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1_000));
}

/**
 * A deliberately high token estimate for a call (over-reserving is refunded, under-reserving risks a
 * provider 429): ~3 characters per token for the prompt, plus the output allowance.
 */
export function estimateTokens(
  system: string | undefined,
  messages: ModelMessage[],
  tools: ToolSet,
  outputAllowance: number,
): number {
  const toolText = Object.entries(tools)
    .map(([name, tool]) => `${name} ${tool.description ?? ""}`)
    .join(" ");
  const promptChars = (system?.length ?? 0) + JSON.stringify(messages).length + toolText.length;
  const perTool = 60;
  return Math.ceil(promptChars / 3) + Object.keys(tools).length * perTool + outputAllowance;
}
