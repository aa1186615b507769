import { createHash } from "node:crypto";
import { DEFAULT_PLAN_LIMITS, DEFAULT_RETRIES, type PlanLimits } from "./constants";
import { badRequest, QStashHttpError } from "./errors";
import {
  canonicalKey,
  type FlowControlSettings,
  getHeader,
  type HeaderMap,
  parseDuration,
  parseFlowControl,
  parseLabels,
  parseNonNegativeInt,
  withPrefix,
} from "./headers";
import { newMessageId } from "./ids";
import { validateRetryDelay } from "./retry";

export type MessageKind = "step" | "call" | "callback" | "failure" | "schedule" | "other";

export interface WorkflowInfo {
  runId: string;
  /** `step` | `toCallback` | `fromCallback` | `failureCall`. */
  callType: string;
  init: boolean;
  workflowUrl?: string;
  invoke: boolean;
  triggeredBySdk: boolean;
  featureSet: string;
  /** Position of this message in the run's message list (prefix semantics). */
  index?: number;
  /** Step deliveries get the step-list body; callbacks, failure callbacks and third-party calls get their own. */
  stepListBody?: boolean;
  unknownSdk?: boolean;
  restTrigger?: boolean;
}

export interface StoredMessage {
  messageId: string;
  url: string;
  method: string;
  bodyBase64: string;
  contentType?: string;
  /** Headers delivered to the destination (`Upstash-Forward-` removed). */
  forward: HeaderMap;
  /** The raw `Upstash-*` configuration headers of the publish (callback config is derived from these). */
  config: HeaderMap;
  createdAt: number;
  notBefore: number;
  maxRetries: number;
  retried: number;
  retryDelay?: string;
  timeoutMs?: number;
  callback?: string;
  failureCallback?: string;
  queueName?: string;
  scheduleId?: string;
  topicName?: string;
  endpointName?: string;
  flowControl?: FlowControlSettings;
  labels: string[];
  callerIp: string;
  kind: MessageKind;
  deduplicationId?: string;
  /** Marks a callback message: the original is a workflow `context.call` (callback only once, not per attempt). */
  workflow?: WorkflowInfo;
  redactFields?: string;
  /** A callback of a queue message holds that queue's slot until it is done (queues wait for callbacks). */
  heldQueueSlot?: string;
}

export interface PublishInput {
  destination: string;
  headers: HeaderMap;
  body: Buffer;
  callerIp: string;
  nowMs: number;
  queueName?: string;
  scheduleId?: string;
  topicName?: string;
  endpointName?: string;
  kind?: MessageKind;
  /** Default: the free-tier limits. */
  limits?: PlanLimits;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

export function validateDestinationUrl(destination: string, what = "destination url"): void {
  if (!/^https?:\/\//i.test(destination)) {
    throw badRequest(`invalid ${what}: endpoint has invalid scheme, add http:// or https://`);
  }
  try {
    const url = new URL(destination);
    if (!url.hostname) throw new Error("no host");
  } catch {
    throw badRequest(`invalid ${what}: ${destination}`);
  }
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === "true";
}

/** Parses the publish headers into a message (not yet persisted). Throws QStashHttpError on bad input. */
export function buildMessage(input: PublishInput): StoredMessage {
  const { headers } = input;
  validateDestinationUrl(input.destination);
  const method = (getHeader(headers, "Upstash-Method") ?? "POST").toUpperCase();
  if (!METHODS.has(method)) throw badRequest(`invalid Upstash-Method header: ${method}`);

  const limits = input.limits ?? DEFAULT_PLAN_LIMITS;
  const notBefore = parseNotBefore(headers, input.nowMs, limits.maxDelayMs);
  const retriesHeader = getHeader(headers, "Upstash-Retries");
  const maxRetries =
    retriesHeader === undefined ? DEFAULT_RETRIES : parseNonNegativeInt(retriesHeader, "Upstash-Retries");
  if (maxRetries > limits.maxRetries) {
    throw new QStashHttpError(
      412,
      `invalid retries: ${maxRetries}, max retries allowed on your plan is ${limits.maxRetries}`,
    );
  }
  const retryDelay = getHeader(headers, "Upstash-Retry-Delay");
  if (retryDelay !== undefined) validateRetryDelay(retryDelay);
  const timeoutHeader = getHeader(headers, "Upstash-Timeout");
  const timeoutMs = timeoutHeader === undefined ? undefined : parseDuration(timeoutHeader, "Upstash-Timeout");
  const callback = getHeader(headers, "Upstash-Callback");
  if (callback) validateDestinationUrl(callback, "callback url");
  const failureCallback = getHeader(headers, "Upstash-Failure-Callback");
  if (failureCallback) validateDestinationUrl(failureCallback, "failure callback url");
  const flowControl = parseFlowControl(
    getHeader(headers, "Upstash-Flow-Control-Key"),
    getHeader(headers, "Upstash-Flow-Control-Value"),
  );
  const labels = parseLabels(getHeader(headers, "Upstash-Label"));

  const forward: HeaderMap = {};
  const config: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith("Upstash-Forward-")) {
      const target = name.slice("Upstash-Forward-".length);
      // QStash ignores Upstash-Forward-Content-Type; only the raw Content-Type header counts.
      if (target !== "Content-Type" && target !== "") forward[target] = value;
    } else if (name.startsWith("Upstash-")) config[name] = value;
  }
  const contentType = getHeader(headers, "Content-Type");

  const message: StoredMessage = {
    messageId: newMessageId(),
    url: input.destination,
    method,
    bodyBase64: input.body.toString("base64"),
    forward,
    config,
    createdAt: input.nowMs,
    notBefore,
    maxRetries,
    retried: 0,
    labels,
    callerIp: input.callerIp,
    kind: input.kind ?? "other",
  };
  if (contentType !== undefined) message.contentType = contentType;
  if (retryDelay !== undefined) message.retryDelay = retryDelay;
  if (timeoutMs !== undefined) message.timeoutMs = timeoutMs;
  if (callback) message.callback = callback;
  if (failureCallback) message.failureCallback = failureCallback;
  if (flowControl) message.flowControl = flowControl;
  if (input.queueName) message.queueName = input.queueName;
  if (input.scheduleId) message.scheduleId = input.scheduleId;
  if (input.topicName) message.topicName = input.topicName;
  if (input.endpointName) message.endpointName = input.endpointName;
  const redact = getHeader(headers, "Upstash-Redact-Fields");
  if (redact) message.redactFields = redact;
  const dedup = deduplicationId(headers, message, input.body);
  if (dedup) message.deduplicationId = dedup;
  const workflow = parseWorkflowInfo(headers);
  if (workflow) message.workflow = workflow;
  return message;
}

function parseNotBefore(headers: HeaderMap, nowMs: number, maxDelayMs: number): number {
  const notBefore = getHeader(headers, "Upstash-Not-Before");
  if (notBefore !== undefined) {
    const seconds = Number(notBefore.trim());
    if (!/^\d+$/.test(notBefore.trim()) || !Number.isFinite(seconds)) {
      throw badRequest(
        `invalid Upstash-Not-Before header: "${notBefore}" is not a unix timestamp in seconds`,
      );
    }
    if (seconds * 1000 > nowMs + maxDelayMs)
      throw badRequest(
        `invalid Upstash-Not-Before header: ${notBefore} is more than the maximum delay (${maxDelayMs / 1000} s) ahead`,
      );
    return seconds * 1000;
  }
  const delay = getHeader(headers, "Upstash-Delay");
  if (delay !== undefined) {
    const ms = parseDuration(delay, "Upstash-Delay");
    if (ms > maxDelayMs)
      throw badRequest(
        `invalid Upstash-Delay header: ${delay} exceeds the maximum delay (${maxDelayMs / 1000} s)`,
      );
    return ms > 0 ? nowMs + ms : 0;
  }
  return 0;
}

function deduplicationId(headers: HeaderMap, message: StoredMessage, body: Buffer): string | undefined {
  const explicit = getHeader(headers, "Upstash-Deduplication-Id");
  if (explicit !== undefined && explicit !== "") return `id:${explicit}`;
  if (!isTruthy(getHeader(headers, "Upstash-Content-Based-Deduplication"))) return undefined;
  const hash = createHash("sha256");
  hash.update(message.url);
  hash.update("\n");
  hash.update(body);
  hash.update("\n");
  hash.update(message.contentType ?? "");
  for (const name of Object.keys(message.forward).sort()) hash.update(`\n${name}:${message.forward[name]}`);
  return `content:${hash.digest("hex")}`;
}

function parseWorkflowInfo(headers: HeaderMap): WorkflowInfo | undefined {
  const runId = getHeader(headers, "Upstash-Workflow-Runid");
  if (!runId) return undefined;
  const info: WorkflowInfo = {
    runId,
    callType: getHeader(headers, "Upstash-Workflow-Calltype") ?? "step",
    init: isTruthy(getHeader(headers, "Upstash-Workflow-Init")),
    invoke: isTruthy(getHeader(headers, "Upstash-Workflow-Invoke")),
    triggeredBySdk: isTruthy(getHeader(headers, "Upstash-Workflow-Trigger-By-Sdk")),
    featureSet: getHeader(headers, "Upstash-Feature-Set") ?? "",
  };
  const url = getHeader(headers, "Upstash-Workflow-Url");
  if (url) info.workflowUrl = url;
  return info;
}

/**
 * Headers for a message derived from `Upstash-Callback-*` or `Upstash-Failure-Callback-*` config:
 * `<prefix><Rest>` is re-read as `Upstash-<Rest>` (so `-Forward-X` becomes a forwarded X).
 */
export function derivedHeaders(
  config: HeaderMap,
  prefix: "Upstash-Callback-" | "Upstash-Failure-Callback-",
): HeaderMap {
  const out: HeaderMap = {};
  for (const [rest, value] of Object.entries(withPrefix(config, prefix)))
    out[canonicalKey(`Upstash-${rest}`)] = value;
  out["Content-Type"] = "application/json";
  return out;
}

const redacted = (value: string | Buffer) => `REDACTED:${createHash("sha256").update(value).digest("hex")}`;

/** `Upstash-Redact-Fields`: `body`, `header`/`headers` (all) or `header[Name]`; affects API views and logs only. */
function redaction(fields: string | undefined) {
  const parts = (fields ?? "").split(",").map((p) => p.trim());
  const names = new Set(
    parts
      .map((p) => /^headers?\[(.+)\]$/.exec(p)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(canonicalKey),
  );
  return {
    body: parts.includes("body"),
    header: (name: string) =>
      parts.includes("header") || parts.includes("headers") || names.has(canonicalKey(name)),
  };
}

/** Where a message came from (URL group, queue, schedule) and its labels, as QStash's API views show them. */
export function originFields(message: StoredMessage): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (message.topicName) fields.topicName = message.topicName;
  if (message.endpointName) fields.endpointName = message.endpointName;
  if (message.queueName) fields.queueName = message.queueName;
  if (message.scheduleId) fields.scheduleId = message.scheduleId;
  if (message.labels.length > 0) {
    // @upstash/qstash 2.12 documents the legacy `label` as "only the first one" of several labels.
    fields.label = message.labels[0];
    fields.labels = message.labels;
  }
  return fields;
}

/** The API shape of a stored message (`GET /v2/messages/{id}`). */
/** The forwarded headers as QStash shows them (API views, logs): redacted ones as `REDACTED:<sha256>`. */
export function shownHeaders(message: StoredMessage): Record<string, string[]> {
  const redact = redaction(message.redactFields);
  const header: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(message.forward))
    header[name] = [redact.header(name) ? redacted(value) : value];
  return header;
}

/** The body as QStash shows it (API views, logs). */
export function shownBody(message: StoredMessage): Buffer {
  const rawBody = Buffer.from(message.bodyBase64, "base64");
  return redaction(message.redactFields).body ? Buffer.from(redacted(rawBody)) : rawBody;
}

export function messageView(message: StoredMessage): Record<string, unknown> {
  const header = shownHeaders(message);
  if (message.contentType !== undefined) header["Content-Type"] = [message.contentType];
  const body = shownBody(message);
  const view: Record<string, unknown> = {
    messageId: message.messageId,
    url: message.url,
    method: message.method,
    header,
    maxRetries: message.maxRetries,
    notBefore: message.notBefore || message.createdAt,
    createdAt: message.createdAt,
    // The SDK type says `callerIp`; the REST docs say `callerIP`: both are served.
    callerIp: message.callerIp,
    callerIP: message.callerIp,
  };
  if (isUtf8(body)) view.body = body.toString("utf8");
  else view.bodyBase64 = body.toString("base64");
  Object.assign(view, originFields(message));
  if (message.retryDelay) view.retryDelayExpression = message.retryDelay;
  if (message.callback) view.callback = message.callback;
  if (message.failureCallback) view.failureCallback = message.failureCallback;
  if (message.flowControl) {
    view.flowControlKey = message.flowControl.key;
    if (message.flowControl.parallelism !== undefined) view.parallelism = message.flowControl.parallelism;
    if (message.flowControl.rate !== undefined) view.rate = message.flowControl.rate;
    if (message.flowControl.period !== undefined) view.period = message.flowControl.period;
  }
  return view;
}

export function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
