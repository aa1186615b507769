/** Small `node:http` helpers: bounded body reads, JSON answers, abortable waits. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type DevModelError, InvalidRequestError, PayloadTooLargeError } from "./errors";

export const MAX_BODY_BYTES = 20 * 1024 * 1024;

export async function readJsonBody(request: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(
      `We could not parse the JSON body of your request (${(error as Error).message}). The dev model, like the OpenAI API, expects a JSON payload.`,
      null,
      null,
    );
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  response.end(payload);
}

export function sendError(
  response: ServerResponse,
  error: DevModelError,
  headers: Record<string, string> = {},
): void {
  sendJson(response, error.status, error.toBody(), { ...headers, ...error.headers });
}

/** Resolves after `ms`, or early (with `false`) if `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Aborts when the client goes away before the response is finished. */
export function clientGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
