import type { WorkflowContext } from "@upstash/workflow";
import { budgetEventId, budgetTicket, COMMANDS_PER_LIMIT_CALL, type Reservation } from "../budgets/budgets";
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

/** What a call reserves: its whole estimate, of which `outputTokens` is the output allowance. */
export interface CallEstimate {
  tokens: number;
  outputTokens: number;
}

/** A reservation held for one model call. */
export type Held = Extract<Reservation, { granted: true }>;

/** A call step that did not call the model: the budget could not grant its reservation yet. */
export interface BudgetDenied {
  budgetDenied: { retryAt: number; retryAfterMs: number; reason: "tokens" | "requests" | "dollars" };
}

export function isBudgetDenied(outcome: object): outcome is BudgetDenied {
  return "budgetDenied" in outcome;
}

/** A call step that did not call the model because no minute of the budget could ever hold the call. */
export interface BudgetRefused {
  budgetRefused: string;
}

export function isBudgetRefused(outcome: object): outcome is BudgetRefused {
  return "budgetRefused" in outcome;
}

/** Estimates the call (inside the step: replays never recount it) and checks that it can ever fit. */
async function estimateInStep(
  turn: BudgetTurn,
  estimate: () => Promise<CallEstimate>,
): Promise<CallEstimate | BudgetRefused> {
  const call = await estimate();
  const problem = turn.services.budgets.fitProblem({ model: turn.model, tenant: turn.tenant, ...call });
  return problem ? { budgetRefused: problem } : call;
}

/** The waiter's name in the budget's queue: the same on every retry of the turn, so it keeps its place. */
export function ticketOf(turn: BudgetTurn): string {
  return budgetTicket(turn.runId, turn.names.turn(turn.turn, 1));
}

function reserve(turn: BudgetTurn, estimate: CallEstimate): Promise<Reservation> {
  turn.services.tracker.countCommands(turn.runId, COMMANDS_PER_LIMIT_CALL);
  return turn.services.budgets.reserve({
    model: turn.model,
    tenant: turn.tenant,
    tokens: estimate.tokens,
    outputTokens: estimate.outputTokens,
    ticket: ticketOf(turn),
  });
}

/** Settles with the outcome: a refused call spent nothing; an answered one its usage (and the provider's view). */
async function settle(turn: BudgetTurn, held: Held, outcome: TurnOutcome | undefined): Promise<void> {
  turn.services.tracker.countCommands(turn.runId, COMMANDS_PER_LIMIT_CALL);
  const answered = outcome && !isRateLimited(outcome) ? outcome : undefined;
  await turn.services.budgets.settle({ model: turn.model, tenant: turn.tenant }, held, {
    called: answered !== undefined,
    inputTokens: answered?.usage.inputTokens ?? 0,
    outputTokens: answered?.usage.outputTokens ?? 0,
    provider: outcome?.rateLimit,
  });
}

/**
 * Inside a call step: reserves the estimate (and one request), calls the model, then settles the
 * reservation with what was really spent, right away, so the unused allowance is free again for the
 * next call. A denied reservation returns without calling the model. Once the model answered, a
 * settlement Redis refuses never fails the step (that would call the model again): the reservation
 * then stays counted until it expires, which only errs on the safe side.
 */
export async function withBudgetInStep(
  turn: BudgetTurn,
  estimateCall: () => Promise<CallEstimate>,
  call: () => Promise<TurnOutcome>,
): Promise<TurnOutcome | BudgetDenied | BudgetRefused> {
  const estimate = await estimateInStep(turn, estimateCall);
  if (isBudgetRefused(estimate)) return estimate;
  const reservation = await reserve(turn, estimate);
  if (!reservation.granted) {
    const { retryAt, retryAfterMs, reason } = reservation;
    return { budgetDenied: { retryAt, retryAfterMs, reason } };
  }
  let outcome: TurnOutcome;
  try {
    outcome = await call();
  } catch (error) {
    await settle(turn, reservation, undefined).catch(() => {});
    throw error;
  }
  // Settling need not hold the step's result back: it overlaps with the SDK publishing the next step.
  const settling = settle(turn, reservation, outcome).catch(() => {});
  if (!turn.services.tracker.defer?.(settling)) await settling;
  return outcome;
}

/** Offload: reserves in a step of its own, sleeping durably until the budget can grant it. */
export async function reserveBudget(
  turn: BudgetTurn,
  estimateCall: () => Promise<CallEstimate>,
  counters: { reservations: number; waits: number },
): Promise<Held | BudgetRefused> {
  for (;;) {
    counters.reservations++;
    const result = await turn.context.run(turn.names.reserve(turn.turn, counters.reservations), async () => {
      const estimate = await estimateInStep(turn, estimateCall);
      return isBudgetRefused(estimate) ? estimate : reserve(turn, estimate);
    });
    if (isBudgetRefused(result) || result.granted) return result;
    counters.waits++;
    await awaitBudget(turn, turn.names.budgetWait(turn.turn, counters.waits), {
      budgetDenied: { retryAt: result.retryAt, retryAfterMs: result.retryAfterMs, reason: result.reason },
    });
  }
}

/**
 * Waits durably for the budget: until a settlement makes room for this run (the ledger wakes the
 * oldest waiters first, with `notify`), at the latest until the time the budget named. A tenant over
 * its dollars for the day sleeps until the next UTC day.
 */
export async function awaitBudget(turn: BudgetTurn, stepName: string, denied: BudgetDenied): Promise<void> {
  const { retryAt, retryAfterMs, reason } = denied.budgetDenied;
  if (reason === "dollars") return sleepUntilRetry(turn.context, stepName, retryAt);
  await turn.context.waitForEvent(stepName, budgetEventId(ticketOf(turn)), {
    timeout: sleepSeconds(retryAfterMs),
  });
}

/** Offload: settles the reservation in a step of its own once the call's response is recorded. */
export async function settleBudget(turn: BudgetTurn, held: Held, outcome: TurnOutcome, attempt: number) {
  await turn.context.run(turn.names.reconcile(turn.turn, attempt), () => settle(turn, held, outcome));
}

/** Sleeps until the budget said to come back (QStash wakes on whole seconds: the next one). */
export function sleepUntilRetry(context: WorkflowContext<unknown>, stepName: string, retryAt: number) {
  return context.sleepUntil(stepName, Math.ceil(retryAt / 1_000));
}

/** QStash sleeps are whole seconds; never sleep 0 (that would be a hot loop). */
export function sleepSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1_000));
}
