import { multiValues } from "./http";
import type { StoredMessage } from "./message";

/** A field filter: OR within a field (repeated or comma-separated values), AND across fields. */
function anyOf(
  query: URLSearchParams,
  name: string,
  actual: string | undefined,
  match = (a: string, b: string) => a === b,
) {
  const wanted = multiValues(query, name);
  if (wanted.length === 0) return true;
  if (actual === undefined) return false;
  return wanted.some((value) => match(actual, value));
}

export function dateInRange(query: URLSearchParams, time: number): boolean {
  const from = query.get("fromDate");
  const to = query.get("toDate");
  if (from && time < Number(from)) return false;
  if (to && time > Number(to)) return false;
  return true;
}

export function messageMatches(message: StoredMessage, query: URLSearchParams): boolean {
  let host: string | undefined;
  let path: string | undefined;
  try {
    const url = new URL(message.url);
    host = url.host;
    path = url.pathname;
  } catch {
    // keep undefined
  }
  return (
    anyOf(query, "messageIds", message.messageId) &&
    anyOf(query, "queueName", message.queueName) &&
    anyOf(query, "topicName", message.topicName) &&
    anyOf(query, "urlGroup", message.topicName) &&
    anyOf(query, "url", message.url) &&
    anyOf(query, "host", host) &&
    anyOf(query, "path", path) &&
    anyOf(query, "scheduleId", message.scheduleId) &&
    anyOf(query, "callerIp", message.callerIp) &&
    anyOf(query, "flowControlKey", message.flowControl?.key) &&
    anyOf(query, "label", message.labels.join(","), (actual, wanted) => actual.split(",").includes(wanted)) &&
    dateInRange(query, message.createdAt)
  );
}

export function recordMatches(
  record: Record<string, unknown>,
  query: URLSearchParams,
  fields: [string, string][],
) {
  return fields.every(([param, field]) => {
    const value = record[field];
    return anyOf(query, param, value === undefined || value === null ? undefined : String(value));
  });
}
