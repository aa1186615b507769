"use client";

import Link from "next/link";
import { TERMINAL_STATUSES } from "overtime";
import { StatusBadge } from "@/app/_components/status-badge";
import { ClockTime, RelativeTime, useNow } from "@/app/_components/time";
import { formatDollars, formatDuration } from "@/app/_lib/format";
import { AgentTextPanel } from "./agent-text";
import { ApprovalHistory, ApprovalsPanel } from "./approvals";
import { ErrorPanel } from "./error-panel";
import { LogFeed } from "./log-feed";
import { RunActions } from "./run-actions";
import { TaskList } from "./task-list";
import { Timeline } from "./timeline";
import { type Connection, type RunView, useRunLive } from "./use-run-live";
import { ValuePanel } from "./value-panel";

const CONNECTION_LABELS: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: "Finished",
};

export function RunLive({ initial, renderedAt }: { initial: RunView; renderedAt: number }) {
  const { view, logs, agentTexts, connection, refresh } = useRunLive(initial);
  const { run, steps } = view;
  // A finished run is finished while its history (logs, streamed text) still loads.
  const shown: Connection = (TERMINAL_STATUSES as readonly string[]).includes(run.status)
    ? "ended"
    : connection;
  const now = useNow(1_000, renderedAt);
  const approvals = view.pendingApprovals ?? [];
  const decided = (view.approvals ?? []).filter((approval) => approval.status !== "pending");
  return (
    <section className="run">
      <p className="crumbs">
        <Link href="/">Runs</Link> /{" "}
        <Link href={`/?workflow=${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link> /
      </p>
      <div className="page-header">
        <h1 className="mono run-id">{run.id}</h1>
        <div className="page-header-side">
          <StatusBadge status={run.status} />
          <span className={`live-note connection-${shown}`} aria-live="polite">
            <span className="dot" aria-hidden /> {CONNECTION_LABELS[shown]}
          </span>
        </div>
      </div>
      <dl className="facts">
        <Fact label="Started">
          <RelativeTime at={run.createdAt} now={now} /> (<ClockTime at={run.createdAt} withDate />)
        </Fact>
        <Fact label="Duration">{formatDuration((run.finishedAt ?? now) - run.createdAt)}</Fact>
        <Fact label="Source">{run.source}</Fact>
        <Fact label="Steps">{run.stepCount}</Fact>
        {run.cost && (run.cost.tokens.input > 0 || run.cost.tokens.output > 0) && (
          <Fact label="Tokens">
            {run.cost.tokens.input.toLocaleString("en-US")} in /{" "}
            {run.cost.tokens.output.toLocaleString("en-US")} out
          </Fact>
        )}
        {run.cost && <Fact label="Cost">{formatDollars(run.cost.dollars.total)}</Fact>}
        {run.currentStep && !run.finishedAt && <Fact label="Current step">{run.currentStep}</Fact>}
        {run.label && <Fact label="Label">{run.label}</Fact>}
        {run.retryOf && <RunLinkFact label="Retry of" runId={run.retryOf} />}
        {run.retriedAs && <RunLinkFact label="Retried as" runId={run.retriedAs} />}
        {run.tags && run.tags.length > 0 && <Fact label="Tags">{run.tags.join(", ")}</Fact>}
        {run.parentRunId && <RunLinkFact label="Started by" runId={run.parentRunId} />}
      </dl>
      <RunActions run={run} onChanged={refresh} />
      {approvals.length > 0 && <ApprovalsPanel runId={run.id} approvals={approvals} onDecided={refresh} />}
      <ErrorPanel run={run} steps={steps} />
      {decided.length > 0 && <ApprovalHistory approvals={decided} />}
      {view.tasks && view.tasks.length > 0 && <TaskList tasks={view.tasks} />}
      <Timeline run={run} steps={steps} now={now} />
      <div className="columns">
        <ValuePanel runId={run.id} title="Input" value={run.input} />
        <ValuePanel
          runId={run.id}
          title="Output"
          value={run.output}
          placeholder={run.finishedAt ? "No output." : "Not finished yet."}
        />
      </div>
      {agentTexts.length > 0 && <AgentTextPanel texts={agentTexts} />}
      <LogFeed logs={logs} />
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A fact that names another run (the one retried, the parent) and links to it. */
function RunLinkFact({ label, runId }: { label: string; runId: string }) {
  return (
    <Fact label={label}>
      <Link className="mono" href={`/runs/${encodeURIComponent(runId)}`}>
        {runId}
      </Link>
    </Fact>
  );
}
