"use client";

import Link from "next/link";
import type { StepRecord } from "overtime";
import type { StepDetail } from "overtime/dashboard";
import { useEffect, useState } from "react";
import { JsonBlock } from "@/app/_components/json-block";
import { ClockTime } from "@/app/_components/time";
import { formatBytes } from "@/app/_lib/format";

type Loaded =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "ready"; detail: StepDetail };

/** A step's output and failed attempts, fetched when the row is opened (outputs can be large). */
export function StepDetailView({ runId, step }: { runId: string; step: StepRecord }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  // Re-fetch when the step finishes while open.
  const version = `${step.outcome}:${step.attempt}`;
  useEffect(() => {
    let stale = false;
    void version;
    fetch(`/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(step.name)}`, {
      cache: "no-store",
    })
      .then(async (response) => {
        const body = await response.json();
        if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
        if (!stale) setLoaded({ state: "ready", detail: body as StepDetail });
      })
      .catch((error: unknown) => {
        if (!stale)
          setLoaded({ state: "error", message: error instanceof Error ? error.message : String(error) });
      });
    return () => {
      stale = true;
    };
  }, [runId, step.name, version]);

  return (
    <div className="step-detail" data-step-detail={step.name}>
      <p className="muted small">
        Started <ClockTime at={step.startedAt} />
        {step.finishedAt !== undefined && (
          <>
            , finished <ClockTime at={step.finishedAt} />
          </>
        )}{" "}
        · type {step.type} · attempt {step.attempt}
        {step.childRunId && (
          <>
            {" "}
            · child run{" "}
            <Link className="mono" href={`/runs/${encodeURIComponent(step.childRunId)}`}>
              {step.childRunId}
            </Link>
          </>
        )}
      </p>
      {step.error && <p className="error">Last error: {step.error}</p>}
      {loaded.state === "loading" && <p className="muted">Loading output…</p>}
      {loaded.state === "error" && <p className="error">Could not load the output: {loaded.message}</p>}
      {loaded.state === "ready" && <StepOutput step={step} detail={loaded.detail} />}
    </div>
  );
}

function StepOutput({ step, detail }: { step: StepRecord; detail: StepDetail }) {
  return (
    <>
      {detail.finished ? (
        <>
          <h3>
            Output <span className="muted small">{formatBytes(detail.outputBytes)}</span>
          </h3>
          {detail.output === undefined || detail.output === null ? (
            <p className="muted">{step.type === "run" ? "The step returned nothing." : "No value."}</p>
          ) : (
            <JsonBlock value={detail.output} />
          )}
        </>
      ) : (
        <p className="muted">No output yet.</p>
      )}
      {detail.errors.length > 0 && (
        <>
          <h3>Failed attempts</h3>
          <ol className="attempts">
            {detail.errors.map((error) => (
              <li key={`${error.attempt}-${error.at}`}>
                Attempt {error.attempt} · <ClockTime at={error.at} /> · HTTP {error.status} ·{" "}
                <span className="error">{error.message}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  );
}
