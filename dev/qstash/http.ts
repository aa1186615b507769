import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_REQUEST_BODY_BYTES } from "./constants";
import { QStashHttpError } from "./errors";
import { canonicalize, type HeaderMap } from "./headers";

export interface RequestContext {
  method: string;
  /** Raw path of the request target (not normalized: `//` and encodings are kept). */
  path: string;
  /** Raw query string without `?` ("" when none). */
  rawQuery: string;
  query: URLSearchParams;
  headers: HeaderMap;
  body: Buffer;
  callerIp: string;
  /** Parameters captured by the route pattern. */
  params: string[];
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is (no JSON encoding). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;

export interface Route {
  methods: string[];
  pattern: RegExp;
  handler: Handler;
  /** Routes reachable without the API token (dev endpoints, webhook hooks). */
  public?: boolean;
}

export const json = (body: unknown, status = 200): Reply => ({ status, body });

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BODY_BYTES) {
      throw new QStashHttpError(413, `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function buildContext(req: IncomingMessage, body: Buffer): RequestContext {
  const target = req.url ?? "/";
  const questionMark = target.indexOf("?");
  const path = questionMark < 0 ? target : target.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? "" : target.slice(questionMark + 1);
  return {
    method: (req.method ?? "GET").toUpperCase(),
    path,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers: canonicalize(req.headers),
    body,
    callerIp: normalizeIp(req.socket.remoteAddress ?? "127.0.0.1"),
    params: [],
  };
}

function normalizeIp(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

export function send(res: ServerResponse, reply: Reply): void {
  const text = reply.rawBody ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.rawBody === undefined && reply.body !== undefined) headers["Content-Type"] = "application/json";
  res.writeHead(reply.status, headers);
  res.end(text);
}

export function errorReply(error: unknown): Reply {
  if (error instanceof QStashHttpError) return { status: error.status, body: { error: error.message } };
  if (error instanceof URIError)
    return { status: 400, body: { error: `invalid percent-encoding: ${error.message}` } };
  return { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
}

/** Query values given as repeated params or comma-separated (`?ids=a&ids=b` or `?ids=a,b`). */
export function multiValues(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

export function parseJsonBody<T>(ctx: RequestContext): T {
  try {
    return JSON.parse(ctx.body.toString("utf8")) as T;
  } catch {
    throw new QStashHttpError(400, "invalid request body: not valid JSON");
  }
}

/** Validates a JSON `headers` object of strings (batch items) and returns it canonicalized. */
export function headersFromJson(value: unknown, where: string): HeaderMap {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new QStashHttpError(400, `${where}: headers must be an object`);
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== "string") throw new QStashHttpError(400, `${where}: header ${name} must be a string`);
  }
  return canonicalize(value as Record<string, string>);
}

/** A JSON object body (not null, not an array); anything else is a 400. */
export function parseJsonObject<T extends object>(ctx: RequestContext): Partial<T> {
  const value = parseJsonBody<unknown>(ctx);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new QStashHttpError(400, "invalid request body: expected a JSON object");
  }
  return value as Partial<T>;
}

/**
 * The destination part of a request target, rebuilt raw: path remainder + the request's own query string
 * (the SDK appends the destination URL unencoded, so its query becomes ours). `qstash_token` is removed.
 */
export function rawDestination(ctx: RequestContext, remainder: string): string {
  let destination = remainder;
  if (/^https?%3A/i.test(destination)) destination = decodeURIComponent(destination);
  if (ctx.rawQuery === "") return destination;
  const kept = ctx.rawQuery.split("&").filter((part) => !part.startsWith("qstash_token="));
  return kept.length > 0 ? `${destination}?${kept.join("&")}` : destination;
}
