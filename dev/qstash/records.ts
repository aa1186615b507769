import type { DeliveryOutcome } from "./delivery";
import { type HeaderArrays, responseHeaderArrays, toArrays } from "./headers";
import { newDlqId } from "./ids";
import { originFields, type StoredMessage, shownBody, shownHeaders } from "./message";

/** Event bodies are capped so a stream of large messages cannot bloat Redis. */
const EVENT_BODY_LIMIT = 64 * 1024;

export interface DlqEntry {
  dlqId: string;
  source: "message" | "workflow";
  message: StoredMessage;
  responseStatus: number;
  responseHeader: HeaderArrays;
  responseBodyBase64: string;
  error?: string;
  failedAt: number;
  workflowRunId?: string;
  workflowCreatedAt?: number;
  workflowUrl?: string;
}

export function buildDlqEntry(
  message: StoredMessage,
  outcome: DeliveryOutcome,
  error: string,
  source: DlqEntry["source"],
  nowMs: number,
  extra: Partial<DlqEntry> = {},
): DlqEntry {
  return {
    dlqId: newDlqId(nowMs),
    source,
    message,
    responseStatus: outcome.response?.status ?? 0,
    responseHeader: outcome.response ? responseHeaderArrays(outcome.response.headers) : {},
    responseBodyBase64: outcome.response?.body.toString("base64") ?? "",
    error,
    failedAt: nowMs,
    ...extra,
  };
}

/**
 * The JSON body QStash sends to callbacks and failure callbacks: the last response (status, canonical header
 * arrays, base64 body) and the source message. Compact JSON, so frameworks that re-serialize keep the hash.
 */
export function callbackBody(
  message: StoredMessage,
  outcome: DeliveryOutcome,
  extra: Record<string, unknown> = {},
): string {
  const sourceHeader: HeaderArrays = toArrays(message.forward);
  if (message.contentType !== undefined) sourceHeader["Content-Type"] = [message.contentType];
  const body: Record<string, unknown> = {
    status: outcome.response?.status ?? 0,
    header: outcome.response ? responseHeaderArrays(outcome.response.headers) : {},
    body: outcome.response?.body.toString("base64") ?? "",
    retried: message.retried,
    maxRetries: message.maxRetries,
    ...extra,
    sourceMessageId: message.messageId,
    url: message.url,
    method: message.method,
    sourceHeader,
    sourceBody: message.bodyBase64,
    notBefore: message.notBefore || message.createdAt,
    createdAt: message.createdAt,
    callerIP: message.callerIp,
  };
  if (message.topicName) body.topicName = message.topicName;
  if (message.endpointName) body.endpointName = message.endpointName;
  if (message.scheduleId) body.scheduleId = message.scheduleId;
  return JSON.stringify(body);
}

/** One `/v2/events` entry. */
export function buildEvent(
  message: StoredMessage,
  state: string,
  nowMs: number,
  outcome?: DeliveryOutcome,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    time: nowMs,
    messageId: message.messageId,
    state,
    url: message.url,
    // Redacted like the message views: upstash/qstash-js's tests against hosted QStash expect redacted logs.
    header: shownHeaders(message),
    callerIp: message.callerIp,
    ...extra,
  };
  const body = shownBody(message).toString("base64");
  if (body.length <= EVENT_BODY_LIMIT) event.body = body;
  Object.assign(event, originFields(message));
  if (message.flowControl) event.flowControlKey = message.flowControl.key;
  if (message.workflow) event.workflowRunId = message.workflow.runId;
  if (state === "CREATED" && message.notBefore) event.nextDeliveryTime = message.notBefore;
  if (outcome?.response) {
    event.responseStatus = outcome.response.status;
    event.responseHeaders = responseHeaderArrays(outcome.response.headers);
    event.responseBody = outcome.response.body.subarray(0, EVENT_BODY_LIMIT).toString("utf8");
  }
  return event;
}
