"use client";

import type { ApprovalRecord } from "overtime/ai";
import { useState, useTransition } from "react";
import { decideApprovalAction } from "@/app/_actions/runs";
import { JsonBlock } from "@/app/_components/json-block";
import { ClockTime } from "@/app/_components/time";

interface Props {
  runId: string;
  approvals: ApprovalRecord[];
  onDecided: () => Promise<void>;
}

/** Tool calls the agent may not make until a person approves them; the run waits meanwhile. */
export function ApprovalsPanel({ runId, approvals, onDecided }: Props) {
  return (
    <section className="card approvals" aria-label="Pending approvals">
      <h2>Waiting for your approval</h2>
      <ul className="approval-list">
        {approvals.map((approval) => (
          <ApprovalItem key={approval.toolCallId} runId={runId} approval={approval} onDecided={onDecided} />
        ))}
      </ul>
    </section>
  );
}

function ApprovalItem({
  runId,
  approval,
  onDecided,
}: {
  runId: string;
  approval: ApprovalRecord;
  onDecided: () => Promise<void>;
}) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  const decide = (approved: boolean) =>
    startTransition(async () => {
      const result = await decideApprovalAction(runId, approval.toolCallId, approved, note);
      setError(result.ok ? undefined : result.error);
      if (result.ok) await onDecided();
    });
  const noteId = `note-${approval.toolCallId}`;
  return (
    <li className="approval" data-tool-call={approval.toolCallId}>
      <p>
        <strong>{approval.toolName}</strong>{" "}
        <span className="muted small">
          by {approval.agent}, turn {approval.turn}
        </span>
        <br />
        <span className="muted small">
          Asked at <ClockTime at={approval.requestedAt} />; declined automatically at{" "}
          <ClockTime at={approval.expiresAt} withDate />
        </span>
      </p>
      {approval.input !== undefined && <JsonBlock value={approval.input} />}
      <div className="field">
        <label htmlFor={noteId}>Note for the agent (optional)</label>
        <input id={noteId} value={note} onChange={(event) => setNote(event.target.value)} maxLength={2_000} />
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={pending} onClick={() => decide(true)}>
          Approve
        </button>
        <button type="button" className="danger" disabled={pending} onClick={() => decide(false)}>
          Decline
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

const DECISION_LABELS: Record<string, string> = {
  approved: "Approved",
  declined: "Declined",
  timeout: "Declined: nobody decided in time",
};

/** Decisions already made, so the page keeps saying who allowed what after the run moved on. */
export function ApprovalHistory({ approvals }: { approvals: ApprovalRecord[] }) {
  return (
    <section className="card" aria-label="Approval decisions">
      <h2>Approvals</h2>
      <ul className="approval-list">
        {approvals.map((approval) => (
          <li key={approval.toolCallId} className="approval" data-decision={approval.status}>
            <strong>{approval.toolName}</strong>{" "}
            <span className={`badge decision-${approval.status}`}>
              {DECISION_LABELS[approval.status] ?? approval.status}
            </span>{" "}
            {approval.decidedAt && (
              <span className="muted small">
                at <ClockTime at={approval.decidedAt} />
              </span>
            )}
            {approval.note && <p className="small">“{approval.note}”</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
