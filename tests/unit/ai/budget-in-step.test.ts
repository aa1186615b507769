import { describe, expect, it } from "vitest";
import { type BudgetTurn, withBudgetInStep } from "@/lib/ai/budget";
import { stepNames } from "@/lib/ai/names";
import type { TurnOutcome, TurnResult } from "@/lib/ai/types";
import type { Reservation, ReservationRequest } from "@/lib/budgets/budgets";

/** Records what the step asks of the budget; `grant` decides the reservation, `shortfall` the debt. */
function fakeTurn(options: { grant: boolean; shortfall?: number; redisDown?: boolean }) {
  const calls: string[] = [];
  const budgets = {
    async reserve(request: ReservationRequest): Promise<Reservation> {
      calls.push(`reserve ${request.tokens}`);
      return options.grant
        ? { granted: true, key: request.model, tokens: request.tokens, requests: 1 }
        : { granted: false, key: request.model, retryAfterMs: 4_000, reason: "tokens" };
    },
    async reconcile(_model: string, _tenant: string | undefined, reserved: number, used: number) {
      calls.push(`reconcile ${reserved} -> ${used}`);
      if (options.redisDown) throw new Error("Redis is unreachable");
      return options.shortfall ?? 0;
    },
  };
  const turn = {
    context: undefined as never,
    runId: "wfr_1",
    services: { budgets, tracker: { countCommands() {} } } as never,
    names: stepNames("a"),
    turn: 1,
    model: "gpt-4o-mini",
  } satisfies BudgetTurn;
  return { turn, calls };
}

const answer: TurnResult = {
  text: "hi",
  toolCalls: [],
  finishReason: "stop",
  usage: { inputTokens: 80, outputTokens: 20, totalTokens: 100 },
  model: "gpt-4o-mini",
  responseMessages: [],
};

describe("a budgeted call inside its step", () => {
  it("does not call the model when the reservation is denied", async () => {
    const { turn, calls } = fakeTurn({ grant: false });
    let called = false;
    const outcome = await withBudgetInStep(turn, { estimate: 500, debt: 0 }, async () => {
      called = true;
      return answer;
    });
    expect(called).toBe(false);
    expect(outcome).toEqual({ budgetDenied: { retryAfterMs: 4_000, reason: "tokens" } });
    expect(calls).toEqual(["reserve 500"]);
  });

  it("settles the reservation with the tokens the call used", async () => {
    const { turn, calls } = fakeTurn({ grant: true });
    expect(await withBudgetInStep(turn, { estimate: 500, debt: 0 }, async () => answer)).toEqual(answer);
    expect(calls).toEqual(["reserve 500", "reconcile 500 -> 100"]);
  });

  it("carries what the bucket could not charge in the result, for the next turn", async () => {
    const { turn } = fakeTurn({ grant: true, shortfall: 40 });
    expect(await withBudgetInStep(turn, { estimate: 60, debt: 0 }, async () => answer)).toMatchObject({
      budgetDebt: 40,
    });
  });

  it("gives everything back when the provider refuses the call or it throws", async () => {
    const refused: TurnOutcome = { rateLimited: { status: 429, retryAfterMs: 1_000, message: "slow down" } };
    const limited = fakeTurn({ grant: true });
    expect(await withBudgetInStep(limited.turn, { estimate: 500, debt: 0 }, async () => refused)).toEqual(
      refused,
    );
    expect(limited.calls).toEqual(["reserve 500", "reconcile 500 -> 0"]);

    const failing = fakeTurn({ grant: true });
    const boom = withBudgetInStep(failing.turn, { estimate: 500, debt: 0 }, async () => {
      throw new Error("boom");
    });
    await expect(boom).rejects.toThrow("boom");
    expect(failing.calls).toEqual(["reserve 500", "reconcile 500 -> 0"]);
  });

  it("charges the debt it reserved for, and keeps it owed when the call is refused", async () => {
    const paid = fakeTurn({ grant: true });
    await withBudgetInStep(paid.turn, { estimate: 100, debt: 500 }, async () => answer);
    expect(paid.calls).toEqual(["reserve 600", "reconcile 600 -> 600"]); // 100 used + 500 owed

    const refused: TurnOutcome = { rateLimited: { status: 429, retryAfterMs: 1_000, message: "slow down" } };
    const owed = fakeTurn({ grant: true });
    const outcome = await withBudgetInStep(owed.turn, { estimate: 100, debt: 500 }, async () => refused);
    expect(owed.calls).toEqual(["reserve 600", "reconcile 600 -> 0"]);
    expect(outcome).toMatchObject({ budgetDebt: 500 });
  });

  it("never fails the step once the model answered: a settlement Redis refuses becomes debt", async () => {
    const { turn } = fakeTurn({ grant: true, redisDown: true });
    const outcome = await withBudgetInStep(turn, { estimate: 40, debt: 0 }, async () => answer);
    expect(outcome).toMatchObject({ text: "hi", budgetDebt: 60 }); // used 100 of the 40 reserved
  });
});
