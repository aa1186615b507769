/** Writes server-sent events, honouring the truncate and event-delay faults. */
import type { ServerResponse } from "node:http";
import type { SseEvent } from "./completion-api";
import { sleep } from "./http";

export interface SseOptions {
  /** Cut the connection (no clean end) once this many events are written. */
  truncateAfterEvents?: number;
  /** Pause between events. */
  eventDelayMs?: number;
  signal: AbortSignal;
}

/** Whether the stream ran to its end, was cut on purpose, or lost its client. */
export type StreamEnd = "complete" | "cut" | "client-gone";

export async function writeEventStream(
  response: ServerResponse,
  headers: Record<string, string>,
  events: SseEvent[],
  options: SseOptions,
): Promise<StreamEnd> {
  response.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  response.flushHeaders();
  let written = 0;
  for (const event of events) {
    if (options.truncateAfterEvents !== undefined && written >= options.truncateAfterEvents)
      return cut(response);
    if (written > 0 && !(await sleep(options.eventDelayMs ?? 0, options.signal))) return "client-gone";
    if (response.destroyed) return "client-gone";
    await write(response, formatEvent(event));
    written += 1;
  }
  if (options.truncateAfterEvents !== undefined && written >= options.truncateAfterEvents)
    return cut(response);
  response.end();
  return "complete";
}

export function formatEvent(event: SseEvent): string {
  return `${event.event === undefined ? "" : `event: ${event.event}\n`}data: ${event.data}\n\n`;
}

/** Resolves once the chunk is handed to the socket, so a cut right after never loses it. */
function write(response: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => response.write(chunk, () => resolve()));
}

/** Drops the connection mid-body, as a crashed proxy or a network fault would. */
function cut(response: ServerResponse): StreamEnd {
  response.destroy();
  return "cut";
}
