/**
 * Runs one completion request through either API adapter: read the body, apply faults, validate,
 * decide, charge the rate limits, then answer with JSON or a stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompletionApi, CompletionMeta, ParsedCompletionRequest } from "./completion-api";
import { InjectedFaultError } from "./errors";
import { FAULT_HEADER, type FaultConfig, type FaultController, retryAfterHeaders } from "./faults";
import { clientGone, readJsonBody, sendJson, sleep } from "./http";
import { reportedModel } from "./identity";
import { stableId } from "./ids";
import type { RateLimiter } from "./limits";
import { decide } from "./policy";
import { canonicalJson } from "./schema-check";
import { writeEventStream } from "./sse";
import type { RequestOutcome } from "./stats";
import { countInputTokens, countOutputTokens } from "./tokens";

export interface CompletionContext {
  faults: FaultController;
  limiter: RateLimiter;
  now: () => number;
}

/** nginx's code for "client closed the connection before the answer". */
const CLIENT_CLOSED = 499;

export async function handleCompletion<Request extends ParsedCompletionRequest>(
  api: CompletionApi<Request>,
  request: IncomingMessage,
  response: ServerResponse,
  context: CompletionContext,
): Promise<RequestOutcome & { faults: FaultConfig }> {
  const signal = clientGone(response);
  const body = await readJsonBody(request);
  const faults = context.faults.forRequest(request.headers[FAULT_HEADER]);
  if (!(await sleep(faults.latencyMs ?? 0, signal))) return { status: CLIENT_CLOSED, faults };
  if (faults.status !== undefined) {
    throw new InjectedFaultError(faults.status, {
      ...context.limiter.headers(),
      ...retryAfterHeaders(faults.retryAfterMs),
    });
  }
  const parsed = api.parse(body);
  const decision = decide(parsed.conversation);
  const usage = {
    inputTokens: countInputTokens(parsed.conversation),
    outputTokens: countOutputTokens(decision),
  };
  const headers = context.limiter.admit(usage.inputTokens + usage.outputTokens, parsed.model);
  const meta: CompletionMeta = {
    id: stableId(api.idPrefix, api.path, canonicalJson(body)),
    createdAt: Math.floor(context.now() / 1000),
    model: reportedModel(parsed.model),
  };
  const outcome = { ...usage, faults };
  if (!parsed.stream) {
    if (faults.truncateAfterEvents !== undefined) {
      response.destroy();
      return { ...outcome, status: 200, cut: true };
    }
    sendJson(response, 200, api.respond(parsed, decision, usage, meta), headers);
    return { ...outcome, status: 200 };
  }
  const events = api.streamEvents(parsed, decision, usage, meta);
  const end = await writeEventStream(response, headers, events, { ...faults, signal });
  return { ...outcome, status: end === "client-gone" ? CLIENT_CLOSED : 200, cut: end === "cut" };
}
