import { z } from "zod";
import { assertOpaqueId, assertUrlSafeId } from "../ids";
import type { Overtime } from "../overtime";
import { RUN_STATUSES } from "../runs/keys";
import { InvalidCursorError, type RunRecord, type StepRecord, TRIGGER_SOURCES } from "../runs/store";
import { tagSchema, tagsFromHeader } from "../runs/tags";
import { readRunTasks } from "../runs/tasks";
import { unknownWorkflowMessage } from "../workflow/registry";
import { type AiRouteHandlers, createAiRouteHandlers, runDetails } from "./ai-handlers";
import { authorized } from "./authorized";
import { parseJsonBody } from "./body";
import { NotFoundError, respond, ValidationError } from "./errors";

/**
 * The HTTP API as plain `(Request, params) => Response` functions; the Next.js routes are one-line
 * wrappers around these, and the test harness mounts the same functions.
 */
export interface RouteHandlers extends AiRouteHandlers {
  trigger(request: Request, workflow: string): Promise<Response>;
  listRuns(request: Request): Promise<Response>;
  getRun(request: Request, runId: string): Promise<Response>;
  cancelRun(request: Request, runId: string): Promise<Response>;
  retryRun(request: Request, runId: string): Promise<Response>;
  replayRun(request: Request, runId: string): Promise<Response>;
  runEvents(request: Request, runId: string): Promise<Response>;
  notify(request: Request, eventId: string): Promise<Response>;
}

const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform(Date.parse),
]);

const listQuery = z.object({
  workflow: z.string().min(1).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  tag: tagSchema.optional(),
  source: z.enum(TRIGGER_SOURCES).optional(),
  from: time.optional(),
  to: time.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

const replayBody = z.object({ input: z.unknown().optional() }).strict();

const retryBody = z.object({ mode: z.enum(["auto", "resume", "restart"]).default("auto") });

export function createRouteHandlers(overtime: Overtime, options: { basePath?: string } = {}): RouteHandlers {
  const { store } = overtime;
  // The public URL (what callers reach), not the request's own origin (a proxy's, behind one).
  const apiBase = `${new URL(overtime.config.baseUrl).origin}${options.basePath ?? "/api"}`;
  const runUrls = (runId: string) => {
    const base = `${apiBase}/runs/${encodeURIComponent(runId)}`;
    return { statusUrl: base, eventsUrl: `${base}/events` };
  };
  const requireRun = async (runId: string) => {
    const run = await overtime.runs.get(runId);
    if (!run) throw new NotFoundError(`No run with id "${runId}" (runs are kept for the retention period).`);
    return run;
  };

  return {
    ...createAiRouteHandlers(overtime),
    trigger: (request, workflow) =>
      respond(async () => {
        const { caller, body } = await authorized(overtime, request);
        await overtime.limitCaller(caller);
        if (!overtime.registry.get(workflow))
          throw new NotFoundError(unknownWorkflowMessage(overtime.registry, workflow));
        const { runId, deduplicated } = await overtime.start({
          workflow,
          input: parseJsonBody(request, body),
          source: "webhook",
          caller,
          idempotencyKey: idempotencyKeyOf(request),
          tags: tagsFromHeader(request.headers.get("overtime-tags")),
        });
        const urls = runUrls(runId);
        return Response.json(
          { runId, ...urls, ...(deduplicated && { deduplicated }) },
          { status: 202, headers: { location: urls.statusUrl } },
        );
      }),

    listRuns: (request) =>
      respond(async () => {
        const params = Object.fromEntries(new URL(request.url).searchParams);
        const query = listQuery.safeParse(params);
        if (!query.success) throw ValidationError.fromZod(query.error, "query");
        const { workflow } = query.data;
        if (workflow !== undefined && !overtime.registry.get(workflow)) {
          const message = unknownWorkflowMessage(overtime.registry, workflow);
          throw new ValidationError(message, [{ path: "workflow", message }]);
        }
        try {
          return Response.json(await overtime.runs.list(query.data));
        } catch (error) {
          if (error instanceof InvalidCursorError)
            throw new ValidationError(error.message, [{ path: "cursor", message: error.message }]);
          throw error;
        }
      }),

    getRun: (_request, runId) =>
      respond(async () => {
        const run = await requireRun(runId);
        return Response.json(await runView(overtime, run, await store.getSteps(runId)));
      }),

    cancelRun: (request, runId) =>
      respond(async () => {
        await authorized(overtime, request);
        await overtime.runs.cancel(runId);
        return Response.json({ runId, status: "canceled" });
      }),

    retryRun: (request, runId) =>
      respond(async () => {
        const { body: raw } = await authorized(overtime, request);
        const body = retryBody.safeParse(parseJsonBody(request, raw));
        if (!body.success) throw ValidationError.fromZod(body.error);
        const retried = await overtime.runs.retry(runId, body.data.mode);
        return Response.json({ ...retried, ...runUrls(retried.runId) }, { status: 202 });
      }),

    replayRun: (request, runId) =>
      respond(async () => {
        const { body: raw } = await authorized(overtime, request);
        const body = replayBody.safeParse(parseJsonBody(request, raw, {}));
        if (!body.success) throw ValidationError.fromZod(body.error);
        const replayed = await overtime.runs.replay(runId, body.data);
        return Response.json({ ...replayed, replayOf: runId, ...runUrls(replayed.runId) }, { status: 202 });
      }),

    runEvents: (request, runId) =>
      respond(async () => {
        await requireRun(runId);
        const lastEventId =
          request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after");
        const limitSeconds = overtime.config.ai?.functionMaxDurationSeconds;
        const stream = overtime.runs.events(runId, {
          lastEventId: lastEventId ?? undefined,
          signal: request.signal,
          // A few seconds before the function limit (lib/vercel.ts), so the stream ends cleanly.
          ...(limitSeconds && { closeAfterMs: Math.max(1, limitSeconds - 5) * 1_000 }),
        });
        return new Response(stream, {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache, no-transform",
            connection: "keep-alive",
            "x-accel-buffering": "no",
          },
        });
      }),

    notify: (request, eventId) =>
      respond(async () => {
        const { body } = await authorized(overtime, request);
        const responses = await overtime.client.notify({
          eventId: assertUrlSafeId("eventId", eventId),
          eventData: parseJsonBody(request, body, undefined),
        });
        return Response.json({ eventId, notified: responses.length });
      }),
  };
}

/**
 * `GET /api/runs/{id}`: the record and steps, what the AI layer adds, and `tasks` when the workflow
 * published any (`lib/runs/tasks.ts`).
 */
export async function runView(overtime: Overtime, run: RunRecord, steps: StepRecord[]) {
  const [details, tasks] = await Promise.all([
    runDetails(overtime, run, steps),
    readRunTasks(overtime.store.redis, run.id, overtime.config.keyPrefix),
  ]);
  return { ...details, ...(tasks.length > 0 && { tasks }) };
}

/** The Idempotency-Key header, if sent: any text of 1–255 characters without control characters. */
function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.headers.get("idempotency-key");
  if (key === null) return undefined;
  if (key.length > 255) {
    throw new ValidationError("Idempotency-Key is longer than 255 characters.", [
      { path: "idempotency-key", message: "at most 255 characters" },
    ]);
  }
  return assertOpaqueId("idempotency-key", key);
}
