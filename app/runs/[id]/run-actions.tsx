"use client";

import { useRouter } from "next/navigation";
import type { RunRecord } from "overtime";
import { useState, useTransition } from "react";
import { cancelRunAction, replayRunAction, retryRunAction } from "@/app/_actions/runs";
import type { ActionResult } from "@/app/_lib/server";
import { CopyCurl } from "./copy-curl";

const ACTIVE = new Set(["queued", "running", "sleeping", "waiting"]);
const FINISHED = new Set(["succeeded", "failed", "canceled"]);

export function RunActions({ run, onChanged }: { run: RunRecord; onChanged: () => Promise<void> }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [editing, setEditing] = useState(false);
  const [inputJson, setInputJson] = useState("");

  const perform = (action: () => Promise<ActionResult>, openNewRun: boolean) =>
    startTransition(async () => {
      setError(undefined);
      const result = await action();
      if (!result.ok) setError(result.error);
      else if (openNewRun && result.runId) router.push(`/runs/${encodeURIComponent(result.runId)}`);
      else await onChanged();
      setConfirmingCancel(false);
    });

  const canResume = run.status === "failed" && !run.incompatible;
  const canRestart = run.status === "failed" || run.status === "canceled";
  return (
    <div className="actions">
      {ACTIVE.has(run.status) &&
        (confirmingCancel ? (
          <>
            <button
              type="button"
              className="danger"
              disabled={pending}
              onClick={() => perform(() => cancelRunAction(run.id), false)}
            >
              {pending ? "Canceling…" : "Yes, cancel this run"}
            </button>
            <button type="button" onClick={() => setConfirmingCancel(false)}>
              Keep it running
            </button>
          </>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirmingCancel(true)}>
            Cancel run
          </button>
        ))}
      {canResume && (
        <button
          type="button"
          className="primary"
          disabled={pending}
          title="A new run that keeps the finished steps and continues from the failed one"
          onClick={() => perform(() => retryRunAction(run.id, "resume"), true)}
        >
          Resume from failed step
        </button>
      )}
      {canRestart && (
        <button
          type="button"
          disabled={pending}
          title="A new run with the same input on the current code"
          onClick={() => perform(() => retryRunAction(run.id, "restart"), true)}
        >
          Restart
        </button>
      )}
      {FINISHED.has(run.status) && (
        <>
          <button
            type="button"
            disabled={pending}
            title="A new run of this workflow with the same input, on the current code"
            onClick={() => perform(() => replayRunAction(run.id), true)}
          >
            Replay
          </button>
          {!editing && (
            <button
              type="button"
              disabled={pending}
              onClick={() => {
                setInputJson(JSON.stringify(run.input ?? {}, null, 2));
                setEditing(true);
              }}
            >
              Replay with edited input…
            </button>
          )}
        </>
      )}
      <CopyCurl run={run} />
      {editing && (
        <form
          className="replay-form"
          onSubmit={(event) => {
            event.preventDefault();
            perform(() => replayRunAction(run.id, inputJson), true);
          }}
        >
          <label htmlFor="replay-input">Input for the new run (JSON)</label>
          <textarea
            id="replay-input"
            rows={8}
            className="mono"
            value={inputJson}
            onChange={(event) => setInputJson(event.target.value)}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={pending}>
              {pending ? "Replaying…" : "Replay with this input"}
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Discard
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error action-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
