import type { RunStore } from "../runs/store";

export interface DeltaSink {
  push(text: string): void;
  /** Sends what is buffered and waits for every write. */
  close(): Promise<void>;
}

export interface DeltaSinkOptions {
  store: RunStore;
  runId: string;
  agent: string;
  turn: number;
  /** The step's attempt: a retried turn streams again, so a viewer can drop the earlier attempt's text. */
  attempt: number;
  /** Told how many Redis commands were sent (cost accounting). */
  onCommands(commands: number): void;
  /** Buffer deltas at most this long before writing them (default 100 ms). */
  flushMs?: number;
}

/**
 * Streams a turn's text deltas to the run's event channel as `agent.delta` events, batched (one write
 * per ~100 ms, not per token), in order. They live in the channel's history, so a viewer that attaches
 * later replays them; `seq` orders them within a turn attempt.
 */
export function createDeltaSink(options: DeltaSinkOptions): DeltaSink {
  const { store, runId, agent, turn, attempt } = options;
  let buffer = "";
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let writes: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = undefined;
    if (!buffer) return;
    const data = { agent, turn, attempt, seq: seq++, text: buffer };
    buffer = "";
    options.onCommands(1);
    writes = writes.then(() => store.apply([store.emit(runId, "agent.delta", data)])).catch(() => {});
  };
  return {
    push(text) {
      buffer += text;
      timer ??= setTimeout(flush, options.flushMs ?? 100);
    },
    async close() {
      if (timer) clearTimeout(timer);
      flush();
      await writes;
    },
  };
}
