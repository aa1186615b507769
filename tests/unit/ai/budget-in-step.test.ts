import { describe, expect, it } from "vitest";
import { type BudgetTurn, withBudgetInStep } from "@/lib/ai/budget";
import { stepNames } from "@/lib/ai/names";
import type { TurnOutcome, TurnResult } from "@/lib/ai/types";
import type { Reservation, ReservationRequest, Settlement } from "@/lib/budgets/budgets";

/** Records what the step asks of the budget; `grant` decides the reservation. */
function fakeTurn(options: { grant: boolean; redisDown?: boolean }) {
  const calls: string[] = [];
  const budgets = {
    fitProblem: () => undefined,
    async reserve(request: ReservationRequest): Promise<Reservation> {
      calls.push(`reserve ${request.tokens} (${request.outputTokens} output) as ${request.ticket}`);
      return options.grant
        ? { granted: true, key: request.model, id: "r1", tokens: request.tokens, costMicros: 0 }
        : { granted: false, key: request.model, retryAt: 64_000, retryAfterMs: 4_000, reason: "tokens" };
    },
    async settle(_request: unknown, held: { tokens: number }, usage: Settlement) {
      const provider = usage.provider ? ` provider ${usage.provider.remainingTokens} left` : "";
      calls.push(
        `settle ${held.tokens} -> ${usage.called ? usage.inputTokens + usage.outputTokens : "nothing"}${provider}`,
      );
      if (options.redisDown) throw new Error("Redis is unreachable");
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
  rateLimit: { limitTokens: 3_000, remainingTokens: 2_900 },
};
const estimate = async () => ({ tokens: 500, outputTokens: 64 });

describe("a budgeted call inside its step", () => {
  it("does not call the model when the reservation is denied, and says when to come back", async () => {
    const { turn, calls } = fakeTurn({ grant: false });
    let called = false;
    const outcome = await withBudgetInStep(turn, estimate, async () => {
      called = true;
      return answer;
    });
    expect(called).toBe(false);
    expect(outcome).toEqual({ budgetDenied: { retryAt: 64_000, retryAfterMs: 4_000, reason: "tokens" } });
    // The same ticket on every retry of the turn: the run keeps its place in the queue.
    expect(calls).toEqual(["reserve 500 (64 output) as wfr_1|a:turn-1"]);
  });

  it("settles right after the call with its usage and the provider's headers", async () => {
    const { turn, calls } = fakeTurn({ grant: true });
    expect(await withBudgetInStep(turn, estimate, async () => answer)).toEqual(answer);
    expect(calls).toEqual([
      "reserve 500 (64 output) as wfr_1|a:turn-1",
      "settle 500 -> 100 provider 2900 left",
    ]);
  });

  it("settles with nothing spent when the provider refuses the call or it throws", async () => {
    const refused: TurnOutcome = { rateLimited: { status: 429, retryAfterMs: 1_000, message: "slow down" } };
    const limited = fakeTurn({ grant: true });
    expect(await withBudgetInStep(limited.turn, estimate, async () => refused)).toEqual(refused);
    expect(limited.calls[1]).toBe("settle 500 -> nothing");

    const failing = fakeTurn({ grant: true });
    const boom = withBudgetInStep(failing.turn, estimate, async () => {
      throw new Error("boom");
    });
    await expect(boom).rejects.toThrow("boom");
    expect(failing.calls[1]).toBe("settle 500 -> nothing");
  });

  it("never fails the step once the model answered, even when Redis refuses the settlement", async () => {
    const { turn } = fakeTurn({ grant: true, redisDown: true });
    expect(await withBudgetInStep(turn, estimate, async () => answer)).toMatchObject({ text: "hi" });
  });
});
