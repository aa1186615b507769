// No imports: the dashboard's browser code reads this list too.

/** Every event a run's channel carries. `data` always has `runId` and `at` (ms). */
export const RUN_EVENTS = [
  "run.status",
  "step.started",
  "step.finished",
  "step.failed",
  "log",
  // The AI layer: streamed text of inline turns, and tool-call approvals.
  "agent.delta",
  "approval.requested",
  "approval.decided",
  "approval.settled",
] as const;
export type RunEventName = (typeof RUN_EVENTS)[number];
