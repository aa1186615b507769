import type { RunStatus } from "overtime";

const LABELS: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running",
  sleeping: "Sleeping",
  waiting: "Waiting",
  succeeded: "Succeeded",
  failed: "Failed",
  canceled: "Canceled",
};

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
