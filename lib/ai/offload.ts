import type { WorkflowContext } from "@upstash/workflow";
import { generateText, type LanguageModel } from "ai";
import { ModelCallError, OffloadUnsupportedError } from "./errors";
import { retryableStatus, type TurnSpec, toTurnResult, turnCallSettings } from "./turn";
import type { TurnOutcome } from "./types";

/** The HTTP request the provider would send, captured instead of sent. */
interface CapturedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** What `context.call` records in the history. */
interface CallResponse {
  status: number;
  body: unknown;
  header: Record<string, string[] | string>;
}

class RequestCaptured extends Error {
  constructor(readonly request: CapturedRequest) {
    super("request captured for context.call");
  }
}

/**
 * An offloaded turn: the AI SDK serializes the request (its fetch is swapped for one that captures
 * it), QStash sends it with `context.call` while no function runs, and on replay the SDK parses the
 * recorded response (a fetch that returns it). Serializing and parsing happen outside any step on every
 * invocation: they are deterministic and local, so only the call itself is a step.
 */
export async function offloadTurn(
  context: WorkflowContext<unknown>,
  stepName: string,
  spec: TurnSpec,
  timeoutSeconds: number,
): Promise<TurnOutcome> {
  const request = await captureRequest(spec);
  const response = (await context.call(stepName, {
    url: request.url,
    method: request.method as "POST",
    headers: request.headers,
    body: request.body,
    retries: 0,
    timeout: timeoutSeconds,
  })) as CallResponse;
  return parseResponse(spec, response);
}

async function captureRequest(spec: TurnSpec): Promise<CapturedRequest> {
  const capture: typeof fetch = async (input, init) => {
    throw new RequestCaptured({
      url: String(input instanceof Request ? input.url : input),
      method: init?.method ?? "POST",
      headers: plainHeaders(init?.headers),
      body: typeof init?.body === "string" ? init.body : String(init?.body ?? ""),
    });
  };
  try {
    await generateText(turnCallSettings({ ...spec, model: withFetch(spec.model, capture) }));
  } catch (error) {
    const captured = findCaptured(error);
    if (captured) return captured.request;
    throw error;
  }
  throw new Error("The provider answered without sending a request; nothing to offload.");
}

async function parseResponse(spec: TurnSpec, response: CallResponse): Promise<TurnOutcome> {
  const body = typeof response.body === "string" ? response.body : JSON.stringify(response.body ?? null);
  const headers = flatHeaders(response.header ?? {});
  if (response.status >= 400) {
    const retryable = retryableStatus(response.status, headers, body);
    if (retryable) return retryable;
    throw new ModelCallError(response.status, body);
  }
  const replay: typeof fetch = async () =>
    new Response(body, {
      status: response.status,
      headers: { ...headers, "content-type": "application/json" },
    });
  const result = await generateText(turnCallSettings({ ...spec, model: withFetch(spec.model, replay) }));
  return toTurnResult(result, spec);
}

/** The provider model with another fetch; @ai-sdk providers read `config.fetch` on every call. */
function withFetch(model: LanguageModel, fetchImpl: typeof fetch): LanguageModel {
  const config = typeof model === "object" ? (model as { config?: unknown }).config : undefined;
  if (typeof model !== "object" || typeof config !== "object" || config === null) {
    throw new OffloadUnsupportedError(typeof model === "string" ? model : model.modelId);
  }
  const clone = Object.create(Object.getPrototypeOf(model)) as object;
  return Object.assign(clone, model, { config: { ...config, fetch: fetchImpl } }) as LanguageModel;
}

function findCaptured(error: unknown): RequestCaptured | undefined {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    if (current instanceof RequestCaptured) return current;
    const next = current as { lastError?: unknown; cause?: unknown };
    current = next.lastError ?? next.cause;
  }
  return undefined;
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function flatHeaders(header: Record<string, string[] | string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(header)) {
    if (key.toLowerCase() === "content-length" || key.toLowerCase() === "content-encoding") continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
