import { DEFAULT_TIMEOUT_MS, USER_AGENT } from "./constants";
import { canonicalKey, type HeaderMap, isForwardable } from "./headers";
import type { StoredMessage } from "./message";
import { signDelivery } from "./signing";

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeliveryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface DeliveryOutcome {
  response?: DeliveryResponse;
  /** Set when no HTTP response arrived (connection refused, timeout...). */
  error?: string;
  durationMs: number;
}

/** Names the server owns on a delivery; forwarded headers of the same name never override them. */
const SERVER_OWNED = new Set(
  ["Upstash-Signature", "Upstash-Message-Id", "Upstash-Retried", "User-Agent", "Upstash-Caller-Ip"].map(
    canonicalKey,
  ),
);

export interface DeliveryRequest {
  message: StoredMessage;
  body: Buffer;
  extraHeaders: HeaderMap;
  signingKey: string;
  signal: AbortSignal;
}

export function deliveryHeaders(message: StoredMessage, extra: HeaderMap): HeaderMap {
  const headers: HeaderMap = {};
  for (const [name, value] of Object.entries(message.forward)) {
    const key = canonicalKey(name);
    if (!isForwardable(key) || SERVER_OWNED.has(key)) continue;
    headers[key] = value;
  }
  if (message.contentType !== undefined) headers["Content-Type"] = message.contentType;
  headers["User-Agent"] = USER_AGENT;
  headers["Upstash-Message-Id"] = message.messageId;
  headers["Upstash-Retried"] = String(message.retried);
  headers["Upstash-Caller-Ip"] = message.callerIp;
  if (message.scheduleId) headers["Upstash-Schedule-Id"] = message.scheduleId;
  if (message.topicName) headers["Upstash-Topic-Name"] = message.topicName;
  for (const [name, value] of Object.entries(extra)) headers[canonicalKey(name)] = value;
  return headers;
}

export async function deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const { message, body } = request;
  const started = Date.now();
  const headers = deliveryHeaders(message, request.extraHeaders);
  // fetch cannot send a body with GET/HEAD, so those are signed (and sent) without one.
  const sendsBody = message.method !== "GET" && message.method !== "HEAD";
  const sent = sendsBody ? body : Buffer.alloc(0);
  headers["Upstash-Signature"] = await signDelivery(request.signingKey, message.url, sent);
  const timeout = AbortSignal.timeout(Math.min(message.timeoutMs ?? DEFAULT_TIMEOUT_MS, MAX_TIMER_MS));
  const signal = AbortSignal.any([timeout, request.signal]);
  try {
    const response = await fetch(message.url, {
      method: message.method,
      headers,
      body: sendsBody ? new Uint8Array(sent) : undefined,
      signal,
      redirect: "follow",
    });
    const responseBody = Buffer.from(await response.arrayBuffer());
    return {
      response: { status: response.status, headers: response.headers, body: responseBody },
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const reason = timeout.aborted
      ? `request timed out after ${message.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
      : describeFetchError(error);
    return { error: reason, durationMs: Date.now() - started };
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) return `${error.message}: ${cause.message}`;
    return error.message;
  }
  return String(error);
}
