import { CursorUnavailableError, isRealtimeCursor, Realtime } from "@upstash/realtime";
import { RUN_EVENTS } from "./event-names";
import { type RunStatus, TERMINAL_STATUSES } from "./keys";
import type { RunStore } from "./store";

export { RUN_EVENTS, type RunEventName } from "./event-names";

export interface StreamOptions {
  /** Resume after this event id (SSE `Last-Event-ID`); omitted = the whole history. */
  lastEventId?: string;
  signal?: AbortSignal;
  keepAliveMs?: number;
  /**
   * Ends the stream after this long, before the platform's function limit cuts it: the client reconnects
   * at once (SSE `retry`) with `Last-Event-ID` and misses nothing.
   */
  closeAfterMs?: number;
}

interface Delivered {
  id: string;
  event: string;
  data: unknown;
}

/**
 * Server-Sent Events for one run: what the client missed (history from the run's @upstash/realtime
 * channel), then live events, without gaps or duplicates (realtime subscribes before it reads history).
 * The stream ends after the run's terminal status event.
 */
export function runEventStream(
  store: RunStore,
  runId: string,
  options: StreamOptions = {},
): ReadableStream<Uint8Array> {
  const channel = new Realtime({ redis: store.redis, history: true }).channel(store.keys.events(runId));
  const encoder = new TextEncoder();
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      let unsubscribe: () => void = () => {};
      const keepAlive = setInterval(() => send(": keep-alive\n\n"), options.keepAliveMs ?? 15_000);
      const deadline = options.closeAfterMs ? setTimeout(() => close(), options.closeAfterMs) : undefined;
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        clearTimeout(deadline);
        unsubscribe();
        controller.close();
      };
      cleanup = close;
      options.signal?.addEventListener("abort", close);
      const onData = (message: Delivered) => {
        send(formatEvent(message));
        if (isTerminal(message)) queueMicrotask(close);
      };
      send("retry: 2000\n\n");
      unsubscribe = await subscribe(channel, onData, options.lastEventId);
      if (closed) unsubscribe();
    },
    cancel() {
      cleanup();
    },
  });
}

/** The part of a realtime channel used here. */
interface Channel {
  subscribe(args: never): Promise<() => void>;
}

async function subscribe(channel: Channel, onData: (message: Delivered) => void, lastEventId?: string) {
  const events = RUN_EVENTS;
  if (lastEventId && isRealtimeCursor(lastEventId)) {
    try {
      return await channel.subscribe({ events, onData, after: lastEventId } as never);
    } catch (error) {
      // The id was trimmed from the history (or never existed): replay everything we still have.
      if (!(error instanceof CursorUnavailableError)) throw error;
    }
  }
  return channel.subscribe({ events, onData, history: true } as never);
}

function formatEvent(message: Delivered): string {
  return `id: ${message.id}\nevent: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

function isTerminal(message: Delivered): boolean {
  const status = (message.data as { status?: RunStatus } | null)?.status;
  return message.event === "run.status" && status !== undefined && TERMINAL_STATUSES.includes(status);
}
