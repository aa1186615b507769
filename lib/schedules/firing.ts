import { ValidationError } from "../errors";
import { TAGS_HEADER, tagsFromHeader } from "../runs/tags";
import { SOURCE_HEADER } from "../runs/tracking";
import type { StartedRun, StartOptions } from "../trigger/start";
import { type Registry, unknownWorkflowMessage } from "../workflow/registry";

export interface FiringDeps {
  registry: Registry;
  start(options: StartOptions): Promise<StartedRun>;
}

/**
 * A schedule firing: a plain QStash message (no workflow protocol headers) from a schedule that
 * `schedules:sync` made, i.e. one forwarding `Overtime-Source: schedule`. Workflow step requests carry
 * `Upstash-Workflow-*` headers (and forward Overtime-Source too), so they never match.
 */
export function isScheduleFiring(request: Request): boolean {
  if (request.headers.get(SOURCE_HEADER) !== "schedule") return false;
  if (!request.headers.get("upstash-schedule-id")) return false;
  for (const name of request.headers.keys()) if (name.startsWith("upstash-workflow-")) return false;
  return true;
}

/**
 * Wraps the workflow endpoint so a schedule firing starts a run exactly as the trigger API does
 * (`startRun`: input validated, run recorded as queued with source `schedule`, published with the
 * workflow's retries, retry delay, flow control and failure callback), deduplicated by QStash message
 * id so a redelivered firing never starts a second run. Left to the SDK, a plain message would start
 * a run with none of the workflow's settings and no failure callback (it would stay "running" forever
 * after its retries ran out).
 */
export function withScheduleFirings(
  serve: (request: Request) => Promise<Response>,
  deps: FiringDeps,
): (request: Request) => Promise<Response> {
  return (request) => (isScheduleFiring(request) ? startFromFiring(request, deps) : serve(request));
}

async function startFromFiring(request: Request, deps: FiringDeps): Promise<Response> {
  // The signature was checked before the request got here (lib/workflow/verify.ts).
  const body = await request.text();
  const workflow = decodeURIComponent(new URL(request.url).pathname.split("/").pop() ?? "");
  if (!deps.registry.get(workflow)) return nonRetryable(unknownWorkflowMessage(deps.registry, workflow));
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return nonRetryable("The schedule's body is not JSON.");
  }
  const scheduleId = request.headers.get("upstash-schedule-id") as string;
  const messageId = request.headers.get("upstash-message-id");
  try {
    const started = await deps.start({
      workflow,
      input,
      source: "schedule",
      caller: `schedule:${scheduleId}`,
      tags: tagsFromHeader(request.headers.get(TAGS_HEADER)),
      ...(messageId && { idempotencyKey: messageId }),
    });
    return Response.json(started, { status: 202 });
  } catch (error) {
    if (error instanceof ValidationError) return nonRetryable(error.message);
    // Anything else is retried by QStash: answer 5xx with the message only.
    const message = error instanceof Error ? error.message : String(error);
    return Response.json({ error: message }, { status: 500 });
  }
}

/** QStash's "do not retry" answer: the firing goes to the DLQ at once. */
function nonRetryable(message: string): Response {
  return Response.json(
    { error: message },
    { status: 489, headers: { "Upstash-NonRetryable-Error": "true" } },
  );
}
