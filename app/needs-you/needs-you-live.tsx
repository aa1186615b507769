"use client";

import Link from "next/link";
import type { PendingApproval } from "overtime/ai";
import { usePendingApprovals } from "@/app/_components/pending-approvals";
import { RelativeTime, useNow } from "@/app/_components/time";
import { shortId } from "@/app/_lib/format";

export function NeedsYouLive({ initial, renderedAt }: { initial: PendingApproval[]; renderedAt: number }) {
  const now = useNow(1_000, renderedAt);
  const approvals = usePendingApprovals(initial) ?? initial;
  if (approvals.length === 0) return <p className="empty">Nothing is waiting for you.</p>;
  return (
    <table className="runs needs-you">
      <thead>
        <tr>
          <th>Run</th>
          <th>Workflow</th>
          <th>Tool call</th>
          <th>Asked</th>
          <th>Deadline</th>
        </tr>
      </thead>
      <tbody>
        {approvals.map((approval) => (
          <tr key={`${approval.runId} ${approval.toolCallId}`} data-run-id={approval.runId}>
            <td data-label="Run">
              <Link
                href={`/runs/${encodeURIComponent(approval.runId)}`}
                className="mono"
                title={approval.runId}
              >
                {shortId(approval.runId)}
              </Link>
            </td>
            <td data-label="Workflow">{approval.workflow}</td>
            <td data-label="Tool call">
              <span className="mono">{approval.toolName}</span>{" "}
              <span className="muted">({approval.agent})</span>
            </td>
            <td data-label="Asked">
              <RelativeTime at={approval.requestedAt} now={now} />
            </td>
            <td data-label="Deadline">
              <RelativeTime at={approval.expiresAt} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
