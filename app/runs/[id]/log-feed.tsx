"use client";

import { ClockTime } from "@/app/_components/time";
import type { LogLine } from "./use-run-live";

export function LogFeed({ logs }: { logs: LogLine[] }) {
  return (
    <div className="card">
      <h2>Log</h2>
      {logs.length === 0 ? (
        <p className="muted">
          Nothing logged. Workflows write here with <code>log()</code> inside a step.
        </p>
      ) : (
        <ol className="log">
          {logs.map((line) => (
            <li key={line.id}>
              <ClockTime at={line.at} /> <span>{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
