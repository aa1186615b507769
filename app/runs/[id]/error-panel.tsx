import type { RunRecord, StepRecord } from "overtime";

/** Why the run failed: the message, the step that failed and how many attempts it took. */
export function ErrorPanel({ run, steps }: { run: RunRecord; steps: StepRecord[] }) {
  if (!run.error && !run.incompatible) return null;
  const failedStep = steps.find((step) => step.name === run.error?.step);
  return (
    <div className="card error-panel" role="alert">
      <h2>{run.status === "failed" ? "Failed" : "Last error"}</h2>
      {run.error && (
        <p>
          {run.error.step && (
            <>
              In step <strong>{run.error.step}</strong>
              {failedStep && failedStep.attempt > 1 && <> after {failedStep.attempt} attempts</>}:{" "}
            </>
          )}
          <span className="error">{run.error.message}</span>
        </p>
      )}
      {run.incompatible && (
        <p>
          The workflow's code changed under this run: it expected step{" "}
          <code>{run.incompatible.expected}</code> but found <code>{run.incompatible.found}</code>. Restart it
          to run on the current code.
        </p>
      )}
    </div>
  );
}
