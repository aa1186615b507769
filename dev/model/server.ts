/**
 * The dev model: an OpenAI-compatible HTTP server that is deterministic and not an LLM, so the real
 * `@ai-sdk/openai` runs its real code path offline.
 *
 *   POST /v1/responses          Responses API (`openai(id)`), JSON or SSE
 *   POST /v1/chat/completions   Chat Completions (`openai.chat(id)`), JSON or SSE
 *   GET  /v1/models[/:id]       model listing
 *   GET  /__dev/health          liveness
 *   GET  /__dev/stats           requests, tokens and 429s, in total and by endpoint; peak TPM/RPM
 *
 * What it answers is described in policy.ts (and directives.ts for tests); faults in faults.ts;
 * rate limits in limits.ts. Every `model` field it returns ends in NOT_AN_LLM_SUFFIX.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chatCompletionsApi } from "./chat-completions";
import type { CompletionApi, ParsedCompletionRequest } from "./completion-api";
import { type CompletionContext, handleCompletion } from "./completion-endpoint";
import { AuthenticationError, DevModelError, InternalServerError, NotFoundError } from "./errors";
import { type FaultConfig, FaultController } from "./faults";
import { sendError, sendJson } from "./http";
import { DEV_MODEL_ID } from "./identity";
import { ItemStore } from "./item-store";
import { DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TOKENS_PER_MINUTE, RateLimiter } from "./limits";
import { createResponsesApi } from "./responses-api";
import { type DevModelStats, type RequestOutcome, StatsRecorder } from "./stats";

export type { FaultConfig } from "./faults";
export { FAULT_HEADER } from "./faults";
export { DEV_MODEL_ID, NOT_AN_LLM_SUFFIX } from "./identity";
export type { DevModelStats, EndpointStats } from "./stats";

export interface DevModelOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** If set, requests to /v1 must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Enforced over a sliding minute; default 10,000,000. */
  tokensPerMinute?: number;
  /** Enforced over a sliding minute; default 10,000. */
  requestsPerMinute?: number;
  /** Faults applied to completion requests until changed with `setFaults`. */
  faults?: FaultConfig;
  /** Clock in epoch ms for the rate-limit window and `created` fields; default Date.now. */
  now?: () => number;
  onLog?: (line: string) => void;
}

export interface RunningDevModel {
  /** Base URL ending in /v1, for `createOpenAI({ baseURL })`. */
  url: string;
  port: number;
  stats(): DevModelStats;
  setFaults(faults: FaultConfig): void;
  close(): Promise<void>;
}

interface ServerState {
  apiKey: string | undefined;
  completion: CompletionContext;
  apis: Map<string, CompletionApi<ParsedCompletionRequest>>;
  stats: StatsRecorder;
  log: (line: string) => void;
  nextRequestNumber: number;
}

export async function startDevModel(options: DevModelOptions = {}): Promise<RunningDevModel> {
  const now = options.now ?? Date.now;
  const faults = new FaultController(options.faults);
  const limiter = new RateLimiter(
    {
      requestsPerMinute: options.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE,
      tokensPerMinute: options.tokensPerMinute ?? DEFAULT_TOKENS_PER_MINUTE,
    },
    now,
  );
  const apis = [createResponsesApi(new ItemStore()), chatCompletionsApi] as Array<
    CompletionApi<ParsedCompletionRequest>
  >;
  const state: ServerState = {
    apiKey: options.apiKey,
    completion: { faults, limiter, now },
    apis: new Map(apis.map((api) => [api.path, api])),
    stats: new StatsRecorder(),
    log: options.onLog ?? (() => {}),
    nextRequestNumber: 1,
  };
  const server = createServer((request, response) => {
    route(state, request, response).catch((error: unknown) =>
      state.log(`request handler failed: ${String(error)}`),
    );
  });
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1`;
  state.log(`listening on ${url} (deterministic, not an LLM)`);
  return {
    url,
    port,
    stats: () => state.stats.snapshot(limiter.peaks()),
    setFaults: (config) => faults.set(config),
    close: () => close(server),
  };
}

async function route(state: ServerState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = performance.now();
  const method = request.method ?? "GET";
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const common = { "x-request-id": `req_dev_${state.nextRequestNumber++}`, "openai-version": "2020-10-01" };
  for (const [name, value] of Object.entries(common)) response.setHeader(name, value);
  if (path.startsWith("/__dev/")) return serveDevRoute(state, method, path, response);
  let outcome: RequestOutcome & { faults?: FaultConfig };
  try {
    outcome = await serveApi(state, method, path, request, response);
  } catch (error) {
    const known = error instanceof DevModelError ? error : new InternalServerError();
    if (!(error instanceof DevModelError))
      state.log(`unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    sendError(response, known);
    outcome = { status: known.status };
  }
  state.stats.record(`${method} ${path}`, outcome);
  state.log(describeRequest(method, path, outcome, performance.now() - started));
}

async function serveApi(
  state: ServerState,
  method: string,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<RequestOutcome & { faults?: FaultConfig }> {
  checkApiKey(state.apiKey, request);
  const api = state.apis.get(path);
  if (api && method === "POST") return handleCompletion(api, request, response, state.completion);
  const modelPath = /^\/v1\/models(?:\/([^/]+))?$/.exec(path);
  if (!modelPath || method !== "GET") throw new NotFoundError(method, path);
  const requested = modelPath[1];
  const model = (id: string) => ({ id, object: "model", created: 0, owned_by: "overtime-dev (not an LLM)" });
  sendJson(
    response,
    200,
    requested ? model(decodeURIComponent(requested)) : { object: "list", data: [model(DEV_MODEL_ID)] },
  );
  return { status: 200 };
}

function checkApiKey(apiKey: string | undefined, request: IncomingMessage): void {
  if (apiKey === undefined) return;
  const sent = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (sent === undefined) {
    throw new AuthenticationError(
      "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (the dev model was started with apiKey).",
    );
  }
  if (sent !== apiKey) throw new AuthenticationError("Incorrect API key provided to the dev model.");
}

function serveDevRoute(state: ServerState, method: string, path: string, response: ServerResponse): void {
  if (method === "GET" && path === "/__dev/health") {
    sendJson(response, 200, { ok: true, service: DEV_MODEL_ID, llm: false });
  } else if (method === "GET" && path === "/__dev/stats") {
    sendJson(response, 200, state.stats.snapshot(state.completion.limiter.peaks()));
  } else {
    sendError(response, new NotFoundError(method, path));
  }
}

function describeRequest(
  method: string,
  path: string,
  outcome: RequestOutcome & { faults?: FaultConfig },
  elapsedMs: number,
): string {
  const parts = [`${method} ${path}`, String(outcome.status)];
  if (outcome.inputTokens !== undefined)
    parts.push(`in=${outcome.inputTokens} out=${outcome.outputTokens ?? 0}`);
  if (outcome.cut) parts.push("cut");
  const faults = Object.entries(outcome.faults ?? {}).filter(([key]) => key !== "times");
  if (faults.length > 0) parts.push(`fault[${faults.map(([key, value]) => `${key}=${value}`).join(" ")}]`);
  parts.push(`${Math.round(elapsedMs)}ms`);
  return parts.join(" ");
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, drops open connections (hung streams included) and resolves once closed. */
function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
