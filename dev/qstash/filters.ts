import { badRequest } from "./errors";
import { multiValues } from "./http";
import type { StoredMessage } from "./message";

/** What a filter is matched against: a pending message, a DLQ entry's message, or a log entry. */
export interface FilterSubject {
  messageId?: string;
  url?: string;
  topicName?: string;
  queueName?: string;
  scheduleId?: string;
  callerIp?: string;
  flowControlKey?: string;
  labels: string[];
  state?: string;
}

/** The endpoints with filters; each accepts only its own parameters (a typo must not match everything). */
export type FilterScope = "messages" | "dlq" | "logs" | "workflowCancel" | "workflowLogs";

const SHARED = ["fromDate", "toDate", "callerIp", "label", "flowControlKey"];
const IDENTITY = ["url", "topicName", "urlGroup", "scheduleId", "queueName"];
/** `api` was removed from the API; the SDK types say a server ignores it. */
const IGNORED = ["api"];

const ALLOWED: Record<FilterScope, Set<string>> = {
  // `count` caps a bulk cancel (upstash/qstash-js after 2.12: "limit the number of messages processed per call").
  messages: new Set([...SHARED, ...IDENTITY, "host", "path", "messageIds", "count"]),
  dlq: new Set([
    ...SHARED,
    ...IDENTITY,
    ...IGNORED,
    "messageId",
    "dlqIds",
    "order",
    "responseStatus",
    "count",
    "cursor",
    "source",
    // `source=workflow` (the workflow SDK's `dlq.list`) filters by run as well.
    "workflowUrl",
    "workflowRunId",
    "workflowCreatedAt",
    "failureFunctionState",
  ]),
  logs: new Set([
    ...SHARED,
    ...IDENTITY,
    ...IGNORED,
    "host",
    "path",
    "state",
    "messageId",
    "messageIds",
    "count",
    "cursor",
  ]),
  // `client.cancel` (@upstash/workflow): ids, or filters with `workflowUrl` (+ `workflowUrlExactMatch`).
  workflowCancel: new Set([
    ...SHARED,
    "host",
    "path",
    "workflowRunIds",
    "workflowUrl",
    "workflowUrlExactMatch",
    "urlStartingWith",
    "count",
    "cursor",
  ]),
  // `client.logs` (@upstash/workflow) and the REST `GET /v2/workflows/logs`.
  workflowLogs: new Set([
    ...SHARED,
    "host",
    "path",
    "groupBy",
    "workflowRunId",
    "workflowUrl",
    "workflowCreatedAt",
    "state",
    "messageId",
    "count",
    "cursor",
    "trimBody",
  ]),
};

/** The SDK documents host/path as "supported by the message cancel and logs endpoints (the DLQ rejects these)". */
const REJECTED_HERE: Partial<Record<FilterScope, Record<string, string>>> = {
  dlq: { host: "the DLQ cannot be filtered by host", path: "the DLQ cannot be filtered by path" },
};

/** Throws 400 naming the first parameter the endpoint does not know. */
export function assertKnownFilters(query: URLSearchParams, scope: FilterScope): void {
  for (const name of new Set(query.keys())) {
    const rejected = REJECTED_HERE[scope]?.[name];
    if (rejected) throw badRequest(`invalid filter ${name}: ${rejected}`);
    if (!ALLOWED[scope].has(name)) {
      throw badRequest(`unknown filter ${name} (known: ${[...ALLOWED[scope]].sort().join(", ")})`);
    }
  }
  for (const name of ["fromDate", "toDate", "count", "responseStatus", "workflowCreatedAt"]) {
    for (const value of multiValues(query, name)) {
      if (!/^\d+$/.test(value)) throw badRequest(`invalid filter ${name}: "${value}" is not a number`);
    }
  }
}

/** The logs' `state=IN_PROGRESS` (REST docs): "one of ACTIVE, RETRY or ERROR". */
const STATE_GROUPS: Record<string, string[]> = { IN_PROGRESS: ["ACTIVE", "RETRY", "ERROR"] };

/** A field filter: OR within a field (repeated or comma-separated values), AND across fields. */
function anyOf(query: URLSearchParams, name: string, actual: string | string[] | undefined): boolean {
  let wanted = multiValues(query, name);
  if (name === "state") wanted = wanted.flatMap((state) => STATE_GROUPS[state] ?? [state]);
  if (wanted.length === 0) return true;
  const values = actual === undefined ? [] : Array.isArray(actual) ? actual : [actual];
  return values.some((value) => wanted.includes(value));
}

export function dateInRange(query: URLSearchParams, time: number): boolean {
  const from = query.get("fromDate");
  const to = query.get("toDate");
  if (from && time < Number(from)) return false;
  if (to && time > Number(to)) return false;
  return true;
}

function urlParts(url: string | undefined): { host?: string; path?: string } {
  if (!url) return {};
  try {
    const parsed = new URL(url);
    return { host: parsed.host, path: parsed.pathname };
  } catch {
    return {};
  }
}

/** The identity fields every filter scope matches on (dates are checked by the caller: which time counts differs). */
export function subjectMatches(subject: FilterSubject, query: URLSearchParams): boolean {
  const { host, path } = urlParts(subject.url);
  return (
    anyOf(query, "messageId", subject.messageId) &&
    anyOf(query, "messageIds", subject.messageId) &&
    anyOf(query, "queueName", subject.queueName) &&
    anyOf(query, "topicName", subject.topicName) &&
    anyOf(query, "urlGroup", subject.topicName) &&
    anyOf(query, "url", subject.url) &&
    anyOf(query, "host", host) &&
    anyOf(query, "path", path) &&
    anyOf(query, "scheduleId", subject.scheduleId) &&
    anyOf(query, "callerIp", subject.callerIp) &&
    anyOf(query, "flowControlKey", subject.flowControlKey) &&
    anyOf(query, "state", subject.state) &&
    // A message with several labels matches a filter naming any one of them.
    anyOf(query, "label", subject.labels)
  );
}

export function messageSubject(message: StoredMessage): FilterSubject {
  return {
    messageId: message.messageId,
    url: message.url,
    topicName: message.topicName,
    queueName: message.queueName,
    scheduleId: message.scheduleId,
    callerIp: message.callerIp,
    flowControlKey: message.flowControl?.key,
    labels: message.labels,
  };
}

/** Pending messages: identity fields and the publish time. */
export function messageMatches(message: StoredMessage, query: URLSearchParams): boolean {
  return subjectMatches(messageSubject(message), query) && dateInRange(query, message.createdAt);
}

/** A `/v2/events` entry (as stored by `buildEvent`). */
export function eventMatches(event: Record<string, unknown>, query: URLSearchParams): boolean {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const labels = Array.isArray(event.labels) ? event.labels.map(String) : [];
  const subject: FilterSubject = {
    messageId: text(event.messageId),
    url: text(event.url),
    topicName: text(event.topicName),
    queueName: text(event.queueName),
    scheduleId: text(event.scheduleId),
    callerIp: text(event.callerIp),
    flowControlKey: text(event.flowControlKey),
    state: text(event.state),
    labels,
  };
  return subjectMatches(subject, query) && dateInRange(query, Number(event.time));
}
