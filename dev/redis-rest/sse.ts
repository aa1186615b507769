import type { ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { RedisBackend } from "./backend";
import { BackendUnavailableError } from "./errors";
import type { StatsRecorder } from "./stats";

export type SubscriptionKind = "subscribe" | "psubscribe";

export interface StreamDeps {
  backend: RedisBackend;
  stats: StatsRecorder;
  log: (line: string) => void;
}

/** SSE comment lines the Upstash client ignores; they keep idle proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Serves `POST /subscribe/<channel>` or `/psubscribe/<pattern>` as server-sent events on a
 * dedicated Redis connection, in the plain-text format the Upstash client parses (never base64):
 *   data: subscribe,<channel>,<count>      data: message,<channel>,<payload>
 *   data: psubscribe,<pattern>,<count>     data: pmessage,<pattern>,<channel>,<payload>
 * The stream ends when the client aborts its request or the Redis connection drops.
 * Throws before any byte is sent when Redis cannot be reached, so the caller can answer 503.
 */
export async function serveSubscription(
  res: ServerResponse,
  kind: SubscriptionKind,
  target: string,
  deps: StreamDeps,
): Promise<void> {
  let clientGone = false;
  res.once("close", () => {
    clientGone = true;
  });
  const subscriber = await deps.backend.openSubscriber();
  const count = await subscribe(subscriber, kind, target);
  if (clientGone) {
    subscriber.disconnect();
    return;
  }
  deps.stats.command(kind);
  openStream(res, subscriber, deps);
  writeEvent(res, deps, `${kind},${target},${count}`);
}

async function subscribe(subscriber: Redis, kind: SubscriptionKind, target: string): Promise<number> {
  try {
    const count =
      kind === "subscribe" ? await subscriber.subscribe(target) : await subscriber.psubscribe(target);
    return Number(count);
  } catch (error) {
    subscriber.disconnect();
    throw new BackendUnavailableError((error as Error).message);
  }
}

function openStream(res: ServerResponse, subscriber: Redis, deps: StreamDeps): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
  });
  deps.stats.streamOpened();
  const heartbeat = setInterval(() => write(res, deps, ": keepalive\n\n"), HEARTBEAT_MS);
  subscriber.on("messageBuffer", (channel: Buffer, message: Buffer) => {
    deliver(res, deps, `message,${channel.toString()},${payloadText(message, deps)}`);
  });
  subscriber.on("pmessageBuffer", (pattern: string, channel: Buffer, message: Buffer) => {
    deliver(res, deps, `pmessage,${pattern},${channel.toString()},${payloadText(message, deps)}`);
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    subscriber.disconnect();
    deps.stats.streamClosed();
    res.end();
  };
  res.on("close", close);
  subscriber.on("end", close);
}

function deliver(res: ServerResponse, deps: StreamDeps, event: string): void {
  deps.stats.messageDelivered();
  writeEvent(res, deps, event);
}

function writeEvent(res: ServerResponse, deps: StreamDeps, data: string): void {
  write(res, deps, `data: ${data}\n\n`);
}

function write(res: ServerResponse, deps: StreamDeps, text: string): void {
  if (res.writableEnded || res.destroyed) return;
  deps.stats.bytesOut(Buffer.byteLength(text));
  res.write(text);
}

/**
 * The payload is written as is. The Upstash client reads the stream line by line and only keeps
 * lines starting with `data: `, so a payload containing a newline reaches it cut at that newline
 * (hosted Upstash's handling of this case is undocumented). JSON payloads never contain one.
 */
function payloadText(message: Buffer, deps: StreamDeps): string {
  const text = message.toString("utf8");
  if (text.includes("\n"))
    deps.log("a published message contains a newline; Upstash clients only see its first line");
  return text;
}
