import { z } from "zod";
import { runCost, stepCost } from "../cost/compute";
import type { Overtime } from "../overtime";
import type { RunRecord, StepRecord } from "../runs/store";
import { authorized } from "./authorized";
import { parseJsonBody } from "./body";
import { respond, ValidationError } from "./errors";

/** Routes of the AI layer: approvals and budgets. The Next.js routes are one-line wrappers. */
export interface AiRouteHandlers {
  /** `POST /api/runs/{id}/approvals/{toolCallId}` `{ approved, note? }`. */
  decideApproval(request: Request, runId: string, toolCallId: string): Promise<Response>;
  /** `GET /api/approvals?status=pending&limit=`: approvals waiting for a person, oldest first. */
  pendingApprovals(request: Request): Promise<Response>;
  /** `GET /api/budgets`: each budget's limit, remaining use and reset time. */
  budgets(request: Request): Promise<Response>;
}

const approvalsQuery = z.object({
  status: z.literal("pending").default("pending"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const decisionBody = z.object({ approved: z.boolean(), note: z.string().max(2_000).optional() });

export function createAiRouteHandlers(overtime: Overtime): AiRouteHandlers {
  const { services } = overtime;
  return {
    decideApproval: (request, runId, toolCallId) =>
      respond(async () => {
        const { body: raw } = await authorized(overtime, request);
        const body = decisionBody.safeParse(parseJsonBody(request, raw, undefined));
        if (!body.success) throw ValidationError.fromZod(body.error);
        // An unknown or decided approval is a NotFoundError / ConflictError: 404 / 409.
        const approval = await services.approvals.decide(runId, toolCallId, body.data);
        return Response.json({ runId, approval });
      }),

    pendingApprovals: (request) =>
      respond(async () => {
        const query = approvalsQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
        if (!query.success) throw ValidationError.fromZod(query.error, "query");
        const approvals = await services.approvals.pending({ limit: query.data.limit });
        return Response.json({ approvals, count: approvals.length, now: Date.now() });
      }),

    budgets: () =>
      respond(async () => Response.json({ budgets: await services.budgets.status(), now: Date.now() })),
  };
}

/**
 * What the AI layer adds to `GET /api/runs/{id}`: the run's cost and token usage, each step's cost,
 * and the run's approvals (pending ones first-class for a reviewer UI). Only fields are added.
 */
export async function runDetails(overtime: Overtime, run: RunRecord, steps: StepRecord[]) {
  const cost = runCost(steps, run.redisCommands ?? 0, overtime.prices);
  const approvals = await overtime.services.approvals.list(run.id);
  return {
    run: { ...run, cost, usage: { inputTokens: cost.tokens.input, outputTokens: cost.tokens.output } },
    steps: steps.map((step) => ({ ...step, cost: stepCost(step, overtime.prices) })),
    approvals,
    pendingApprovals: approvals.filter((approval) => approval.status === "pending"),
  };
}
