"use client";

import { useState } from "react";
import { ClockTime } from "@/app/_components/time";
import { formatBytes, formatDollars, formatDuration } from "@/app/_lib/format";
import { StepDetailView } from "./step-detail";
import type { RunView } from "./use-run-live";

type Step = RunView["steps"][number];

interface Props {
  run: RunView["run"];
  steps: Step[];
  now: number;
}

/** Where a step's bar ends: its finish, else (for a pending sleep) the planned wake-up, else now. */
function barEnd(step: Step, now: number): number {
  if (step.finishedAt !== undefined) return step.finishedAt;
  if (step.outcome === "sleeping" && step.sleepingUntil !== undefined)
    return Math.max(step.sleepingUntil, now);
  return now;
}

/** One row per step: a bar placed on the run's time axis, then the numbers, then the output on demand. */
export function Timeline({ run, steps, now }: Props) {
  const start = run.createdAt;
  const end = Math.max(run.finishedAt ?? now, ...steps.map((step) => barEnd(step, now)), start + 1);
  const span = end - start;
  const [open, setOpen] = useState<string | undefined>();
  if (steps.length === 0) {
    return (
      <div className="card">
        <h2>Timeline</h2>
        <p className="muted">
          {run.finishedAt ? "This run recorded no steps." : "Waiting for the first step…"}
        </p>
      </div>
    );
  }
  return (
    <div className="card timeline">
      <div className="timeline-head">
        <h2>Timeline</h2>
        <span className="muted">{formatDuration(span)} shown</span>
      </div>
      <ol className="steps">
        {steps.map((step) => {
          const left = ((step.startedAt - start) / span) * 100;
          const width = Math.max(((barEnd(step, now) - step.startedAt) / span) * 100, 0.6);
          const expanded = open === step.name;
          return (
            <li
              key={step.name}
              className={`step outcome-${step.outcome} type-${step.type}`}
              data-step={step.name}
            >
              <button
                type="button"
                className="step-toggle"
                aria-expanded={expanded}
                onClick={() => setOpen(expanded ? undefined : step.name)}
              >
                <span className="step-name" title={step.name}>
                  {step.name}
                </span>
                <span className="track" aria-hidden>
                  <span className="bar" style={{ left: `${Math.min(left, 99.4)}%`, width: `${width}%` }} />
                </span>
                <StepMeta step={step} now={now} />
              </button>
              {expanded && <StepDetailView runId={run.id} step={step} />}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function StepMeta({ step, now }: { step: Step; now: number }) {
  return (
    <span className="step-meta">
      <span className="step-kind">{describeKind(step)}</span>
      {step.outcome === "sleeping" && step.sleepingUntil !== undefined && (
        <span>
          until <ClockTime at={step.sleepingUntil} />
        </span>
      )}
      {step.outcome === "waiting" && step.waitingFor && <span className="mono">event {step.waitingFor}</span>}
      <span>{stepDuration(step, now)}</span>
      {step.resultBytes !== undefined && <span title="Result size">{formatBytes(step.resultBytes)}</span>}
      {step.cost && step.cost.inputTokens + step.cost.outputTokens > 0 && (
        <span title={`${step.cost.inputTokens} input + ${step.cost.outputTokens} output tokens`}>
          {(step.cost.inputTokens + step.cost.outputTokens).toLocaleString("en-US")} tok ·{" "}
          {formatDollars(step.cost.dollars)}
        </span>
      )}
      {step.attempt > 1 && <span className="warn">attempt {step.attempt}</span>}
    </span>
  );
}

function describeKind(step: Step): string {
  if (step.outcome === "sleeping") return "sleeping";
  if (step.outcome === "waiting") return "waiting";
  if (step.outcome === "failed") return "failed";
  if (step.outcome === "timed-out") return "timed out";
  if (step.outcome === "running") return "running";
  return step.type === "run" ? "done" : step.type;
}

/** A pending sleep shows how long it was planned for; anything else how long it took (so far). */
function stepDuration(step: Step, now: number): string {
  if (step.durationMs !== undefined) return formatDuration(step.durationMs);
  if (step.outcome === "sleeping" && step.sleepingUntil !== undefined) {
    return `${formatDuration(step.sleepingUntil - step.startedAt)} planned`;
  }
  return formatDuration(now - step.startedAt);
}
