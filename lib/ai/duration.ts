import { WorkflowNonRetryableError } from "@upstash/workflow";

/**
 * An inline model call runs inside the function QStash called, so it shares that function's duration
 * limit (Vercel's `maxDuration`). Past the limit the platform kills the function with no answer and QStash
 * retries the same too-long call. So the call is stopped a little before, with an error that says what to
 * do (offload: QStash waits for the model instead), and a call that used over half the limit leaves a
 * warning in the run's log before it becomes a failure.
 */
export interface FunctionLimit {
  /** The function's maximum duration in seconds (OVERTIME_MAX_DURATION). */
  maxDurationSeconds: number;
  /** Where the half-way warning goes (the run's log, the server log). */
  warn(message: string): void;
}

/** Seconds left for the rest of the step after the model answers (writing and publishing the result). */
const MARGIN_SECONDS = 10;

export class InlineTurnTooLongError extends WorkflowNonRetryableError {
  override name = "InlineTurnTooLongError";
}

/** Seconds an inline call may take under `maxDurationSeconds`: the limit less a margin, at least half of it. */
export function inlineBudgetSeconds(maxDurationSeconds: number): number {
  return Math.max(maxDurationSeconds / 2, maxDurationSeconds - MARGIN_SECONDS);
}

/** Runs `call` (an inline model call) under the function's duration limit; see FunctionLimit. */
export async function withinFunctionLimit<T>(
  limit: FunctionLimit | undefined,
  what: string,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!limit) return call(undefined);
  const { maxDurationSeconds } = limit;
  const budgetSeconds = inlineBudgetSeconds(maxDurationSeconds);
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new InlineTurnTooLongError(
        `${what}: the inline model call was stopped after ${budgetSeconds} s, before the function's ` +
          `${maxDurationSeconds} s limit (maxDuration / OVERTIME_MAX_DURATION). Use mode: "offload" for ` +
          "this agent, so QStash waits for the model instead of the function.",
      ),
    );
  }, budgetSeconds * 1_000);
  const started = Date.now();
  try {
    return await call(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
    const seconds = Math.round((Date.now() - started) / 1_000);
    if (!controller.signal.aborted && seconds * 2 > maxDurationSeconds) {
      limit.warn(
        `${what}: the inline model call took ${seconds} s of the function's ${maxDurationSeconds} s limit. ` +
          'Longer calls will be stopped; consider mode: "offload".',
      );
    }
  }
}
